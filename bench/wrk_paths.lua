-- Used by bench/territories.py: cycle through the paths listed one per line in $WRK_PATHS,
-- then print the JSON line of wrk_report.lua ($WRK_REPORT).
local paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do
  if line ~= "" then paths[#paths + 1] = line end
end
local i = math.random(#paths)
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
dofile(os.getenv("WRK_REPORT"))
