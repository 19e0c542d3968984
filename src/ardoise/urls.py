"""``Urls``: every public URL of the platform, built in one place (the Explore API, Ardoise's
``/api/v1``, the dashboard's pages and their twins, the official portal's pages).

``Urls(base)`` builds absolute URLs on ``base`` (``https://host``, no trailing slash:
``Urls.of(public_url)`` strips it); ``ROOT`` builds root-relative ones (``/api/v1/…``),
which each surface makes absolute if it wants. The query layer, the catalogue and every
surface import it, so it sits on the floor (it imports nothing of Ardoise)::

    >>> ROOT.records("fr-en-ips-ecoles-ap2022", "limit=10")
    '/api/explore/v2.1/catalog/datasets/fr-en-ips-ecoles-ap2022/records?limit=10'
    >>> Urls.of("https://ardoise.example/").territory_md("departement", "69")
    'https://ardoise.example/territoires/departement/69.md'

Encoding: a path segment taken from data (an id, a code) is percent-encoded whole
(``quote(text, safe="")``); dataset and indicator ids, territory codes and UAI are made of
letters, digits, ``-`` and ``_``, which stay as they are. A query string is the caller's:
each query owns its encoding (``query_string`` below, or one assembled from encoded fragments),
passed already encoded; dashboard pages take their parameters as keywords (``urlencode``,
empty values dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

PORTAL = "https://data.education.gouv.fr"  # the official portal Ardoise serves a copy of
EXPLORE_SHAPES = ("v2.1", "v2.0")


def segment(text: str) -> str:
    """``text`` as one path segment."""
    return quote(text, safe="")


def query_string(pairs: list[tuple[str, str]] | dict[str, str], safe: str = "") -> str:
    """An encoded query string (``%20`` for spaces; ``safe`` characters kept)."""
    return urlencode(pairs, quote_via=quote, safe=safe)


def _join(path: str, encoded_query: str) -> str:
    return f"{path}?{encoded_query}" if encoded_query else path


def _with(path: str, params: dict[str, str | None]) -> str:
    kept = {k: v for k, v in params.items() if v}
    return path + (f"?{urlencode(kept)}" if kept else "")


def serving_base(public_url: str | None, request_base: str) -> str:
    """The base of the absolute URLs a response carries: ``ARDOISE_PUBLIC_URL`` when it is set,
    else the scheme, host and port the request came in on (so links work as served)::

        >>> serving_base(None, "http://127.0.0.1:8731/")
        'http://127.0.0.1:8731'
        >>> serving_base("https://ardoise.example/", "http://10.0.0.5:8000/")
        'https://ardoise.example'
    """
    return (public_url or request_base).rstrip("/")


def portal_dataset(dataset_id: str) -> str:
    """The dataset's page on the official portal."""
    return f"{PORTAL}/explore/dataset/{segment(dataset_id)}/"


@dataclass(frozen=True)
class Urls:
    base: str = ""  # "" (root-relative) or "scheme://host[:port]" without a trailing slash

    @classmethod
    def of(cls, base_url: str) -> Urls:
        return cls(base_url.rstrip("/"))

    def absolute(self, url: str) -> str:
        """A root-relative URL (``/api/…``, as the query layer builds them) on ``base``."""
        return self.base + url if url.startswith("/") else url

    # --- Explore API (v2.1, and its v2.0 shape) -----------------------------------------

    def explore(self, shape: str = "v2.1") -> str:
        return f"{self.base}/api/explore/{shape}"

    def catalog(self, encoded_query: str = "", shape: str = "v2.1") -> str:
        return _join(f"{self.explore(shape)}/catalog/datasets", encoded_query)

    def catalog_export(self, fmt: str) -> str:
        """The DCAT-AP catalogue in ``fmt`` (``dcat``, ``ttl``, ``rdf``, ``jsonld``)."""
        return f"{self.explore()}/catalog/exports/{fmt}"

    def dataset(self, dataset_id: str, shape: str = "v2.1") -> str:
        return f"{self.catalog(shape=shape)}/{segment(dataset_id)}"

    def records(self, dataset_id: str, encoded_query: str = "", shape: str = "v2.1") -> str:
        return _join(f"{self.dataset(dataset_id, shape)}/records", encoded_query)

    def record(self, dataset_id: str, record_id: str, shape: str = "v2.1") -> str:
        return f"{self.records(dataset_id, shape=shape)}/{segment(record_id)}"

    def exports(self, dataset_id: str, shape: str = "v2.1") -> str:
        return f"{self.dataset(dataset_id, shape)}/exports"

    def export(self, dataset_id: str, fmt: str, shape: str = "v2.1") -> str:
        """The whole dataset exported in ``fmt``."""
        return f"{self.exports(dataset_id, shape)}/{fmt}"

    def openapi(self) -> str:
        return f"{self.base}/api/openapi.json"

    def api_docs(self) -> str:
        return f"{self.base}/api/docs"

    # --- Ardoise's API (/api/v1) ---------------------------------------------------------

    def v1(self) -> str:
        return f"{self.base}/api/v1"

    def indicators(self) -> str:
        return f"{self.v1()}/indicateurs"

    def sql(self, encoded_query: str = "") -> str:
        return _join(f"{self.v1()}/sql", encoded_query)

    def sql_tables(self) -> str:
        return f"{self.v1()}/sql/tables"

    def indicator(self, indicator_id: str) -> str:
        return f"{self.indicators()}/{segment(indicator_id)}"

    def indicator_values(self, indicator_id: str, encoded_query: str = "") -> str:
        return _join(f"{self.indicator(indicator_id)}/valeurs", encoded_query)

    def coverage(self) -> str:
        return f"{self.v1()}/couverture"

    def territories(self, encoded_query: str = "") -> str:
        return _join(f"{self.v1()}/territoires", encoded_query)

    def territory(self, niveau: str, code: str) -> str:
        return f"{self.territories()}/{niveau}/{segment(code)}"

    def territory_indicators(self, niveau: str, code: str) -> str:
        return f"{self.territory(niveau, code)}/indicateurs"

    def school(self, uai: str) -> str:
        return f"{self.v1()}/etablissements/{segment(uai)}"

    def place(self, niveau: str, code: str) -> str:
        """A territory in the API: a school's own URL for an établissement."""
        return self.school(code) if niveau == "etablissement" else self.territory(niveau, code)

    def geo(self, niveau: str, parent: tuple[str, str] | None = None) -> str:
        """The contours of ``niveau`` (TopoJSON), within ``parent`` (``niveau, code``)."""
        url = f"{self.v1()}/geo/{niveau}.topojson"
        return f"{url}?parent={parent[0]}:{segment(parent[1])}" if parent else url

    def datapackage(self) -> str:
        return f"{self.v1()}/datapackage.json"

    def changelog(self, release_id: str) -> str:
        return f"{self.v1()}/releases/{segment(release_id)}/changelog"

    def changelog_feed(self) -> str:
        return f"{self.v1()}/changelog.atom"

    def mcp(self) -> str:
        return f"{self.base}/mcp"

    # --- Pages for people (the dashboard) and their Markdown twins -----------------------

    def home(self) -> str:
        return f"{self.base}/"

    def territory_page(self, niveau: str, code: str, **params: str | None) -> str:
        return _with(f"{self.base}/territoires/{niveau}/{segment(code)}", params)

    def school_page(self, uai: str, **params: str | None) -> str:
        return _with(f"{self.base}/etablissements/{segment(uai)}", params)

    def place_page(self, niveau: str, code: str, **params: str | None) -> str:
        """The page showing a territory: a school's own page for an établissement."""
        if niveau == "etablissement":
            return self.school_page(code, **params)
        return self.territory_page(niveau, code, **params)

    def indicators_page(self) -> str:
        """Every indicator, by theme (the « Indicateurs » of the breadcrumb)."""
        return f"{self.base}/indicateurs"

    def indicator_page(self, indicator_id: str, **params: str | None) -> str:
        return _with(f"{self.base}/indicateurs/{segment(indicator_id)}", params)

    def catalog_page(self) -> str:
        return f"{self.base}/donnees"

    def search_page(self) -> str:
        return f"{self.base}/recherche"

    def sql_page(self, encoded_query: str = "") -> str:
        return _join(f"{self.base}/sql", encoded_query)

    def quality_page(self) -> str:
        return f"{self.base}/qualite"

    def about_page(self) -> str:
        return f"{self.base}/a-propos"

    def dataset_page(self, dataset_id: str, **params: str | None) -> str:
        return _with(f"{self.base}/donnees/{segment(dataset_id)}", params)

    def dataset_md(self, dataset_id: str) -> str:
        return f"{self.dataset_page(dataset_id)}.md"

    def indicator_md(self, indicator_id: str) -> str:
        return f"{self.indicator_page(indicator_id)}.md"

    def territory_md(self, niveau: str, code: str) -> str:
        return f"{self.base}/territoires/{segment(niveau)}/{segment(code)}.md"

    # --- The producers' space (issue #15) ------------------------------------------------

    def producers_space(self) -> str:
        return f"{self.base}/producteurs"

    def submission_page(self, submission_id: str) -> str:
        return f"{self.base}/producteurs/soumissions/{segment(submission_id)}"

    def organisation_page(self, organisation_id: str) -> str:
        return f"{self.base}/producteurs/organisations/{segment(organisation_id)}"

    def automation_submission(self, submission_id: str) -> str:
        """A submission in the Automation API: its state, validation progress, report."""
        return f"{self.base}/api/producteurs/v1/soumissions/{segment(submission_id)}"

    # --- Habilitations (issue #16) -------------------------------------------------------

    def habilitations_register(self) -> str:
        """The public register of granted habilitations (a page)."""
        return f"{self.base}/habilitations"

    def habilitation_page(self, habilitation_id: str) -> str:
        """One habilitation, for its organisation and the instructors (signed in)."""
        return f"{self.base}/producteurs/habilitations/{segment(habilitation_id)}"

    @staticmethod
    def page_twin(path: str, encoded_query: str) -> str:
        """The JSON twin of the page at ``path``: ``/x`` → ``/x.json``, ``/`` → ``/index.json``."""
        return _join(("/index" if path == "/" else path) + ".json", encoded_query)

    @staticmethod
    def page_chart(path: str, chart_id: str, fmt: str, encoded_query: str) -> str:
        """A chart of the page at ``path``, downloaded as ``fmt`` (csv, svg, png)."""
        return _join(f"{'' if path == '/' else path}/graphiques/{chart_id}.{fmt}", encoded_query)


ROOT = Urls()
