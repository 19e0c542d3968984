-- Used by bench/scolarite.py: cycle through the paths in $WRK_PATHS with the bearer token
-- of $WRK_TOKEN (if any), then print the JSON line of wrk_report.lua ($WRK_REPORT).
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local token = os.getenv("WRK_TOKEN") or ""
local headers = {}
if token ~= "" then headers["Authorization"] = "Bearer " .. token end
local i = 0
setup = function(thread) thread:set("offset", math.random(#paths)) end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i + (offset or 0)) % #paths + 1], headers)
end
dofile(os.getenv("WRK_REPORT"))
