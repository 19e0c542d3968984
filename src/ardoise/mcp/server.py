"""The MCP server (official ``mcp`` SDK): seven read-only tools, the resources and two
prompts, over the release being served. The same server runs over stdio (``ardoise mcp``)
and over streamable HTTP at ``/mcp`` on the main app (``http.py``), stateless.

Tool names and argument schemas are stable: they are the public contract documented in
README.md. Every failure is a tool error (``isError``) whose French text says what to do
next; domain errors (unknown field, bad school year…) keep their message, and argument
validation errors are rewritten in French.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ResourceError, ToolError, UnexpectedToolError
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import Field, ValidationError

from ardoise import __version__
from ardoise.errors import ArdoiseError, NoRelease, ReleaseCorrupt
from ardoise.mcp import datasets, documents, indicators, records, territory
from ardoise.mcp.citations import Citer
from ardoise.mcp.schemas import (
    Comparison,
    DatasetDescription,
    DatasetSearch,
    IndicatorList,
    IndicatorResult,
    RecordsResult,
    TerritoryResolution,
)
from ardoise.odsql.errors import QueryError
from ardoise.query.release import ReleaseHolder, ServedRelease
from ardoise.query.release_archive import ReleaseArchive
from ardoise.settings import Settings

NAME = "ardoise"
READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
T = TypeVar("T")

DatasetId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description=(
            "Identifiant officiel du jeu (ex. fr-en-ips-colleges-ap2022), donné par search_datasets."
        ),
    ),
]
IndicatorId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description=(
            "Identifiant de l'indicateur (ex. ips_moyen_colleges), donné par list_indicators."
        ),
    ),
]
TerritoryArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description=(
            "Territoire : niveau:code (departement:48, academie:10, region:84, commune:69123, "
            "etablissement:0690001A, france), un UAI, ou un nom qui ne désigne qu'un territoire "
            "(sinon, passez d'abord par find_territory)."
        ),
    ),
]
SchoolYear = Annotated[
    str | None,
    Field(
        max_length=20,
        description=(
            "Année scolaire AAAA-AAAA (ex. 2022-2023 ; la session d'examen 2023 est 2022-2023). "
            "Par défaut : la plus récente avec une valeur."
        ),
    ),
]
Odsql = Annotated[str | None, Field(max_length=4000)]
SearchText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description=(
            "Mots à chercher, en français (ex. « IPS collèges », « résultats du brevet »)."
        ),
    ),
]
RowLimit = Annotated[
    int,
    Field(
        ge=1,
        le=records.MAX_ROWS,
        description=("Nombre maximal de lignes rendues (1 à 100)."),
    ),
]
TerritoryName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description=("Nom ou code du territoire ou de l'établissement."),
    ),
]
TerritoryList = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]],
    Field(
        min_length=1,
        max_length=indicators.MAX_TERRITORIES,
        description=(
            'Territoires, chacun niveau:code (ex. ["departement:48", '
            '"departement:12"]) ou un nom sans homonyme.'
        ),
    ),
]
ReleaseId = Annotated[
    str | None,
    Field(
        max_length=80,
        description=(
            "Identifiant d'une release plus ancienne à interroger (liste : /api/v1/releases). "
            "Par défaut : la release servie."
        ),
    ),
]
ReleaseDay = Annotated[
    str | None,
    Field(
        max_length=10,
        description="Date AAAA-MM-JJ : interroger la release qui était servie ce jour-là.",
    ),
]

# The tools, in the order of tools/list: name → description (the method of Tools).
TOOLS = {
    "search_datasets": (
        "Cherche les jeux de données de la release qui contiennent TOUS les mots de la "
        "requête (filtre, pas classement ; accents, majuscules et pluriels ignorés ; brevet/DNB "
        "et bac/baccalauréat équivalents). Sans résultat, le dit et donne les jeux proches et "
        "ceux du portail officiel non repris ici : ne concluez pas qu'une donnée n'existe pas "
        "sans avoir essayé d'autres mots."
    ),
    "describe_dataset": (
        "Décrit un jeu : titre, description, champs (nom, libellé, type, unité), années "
        "scolaires et lignes par année, couverture (nationale ou partielle), résumé qualité, "
        "licence, précautions. À lire avant query_records."
    ),
    "query_records": (
        "Interroge un jeu en ODSQL, comme l'API Explore v2.1 (même compilateur) : where "
        '(ex. code_du_departement = "69" and rentree_scolaire = "2022-2023"), select '
        "(ex. avg(ips) as ips_moyen, count(*) as n), group_by, order_by (ex. ips desc), "
        "limit (1 à 100, 20 par défaut). total_count est exact ; au-delà de limit le résultat "
        "est tronqué et le dit : agrégez plutôt que de compter des lignes."
    ),
    "find_territory": (
        "Trouve les codes d'un territoire ou d'un établissement à partir d'un nom ou d'un "
        "code : « Lozère », « académie de Lyon », « collège Jean Moulin à Lyon », une commune, "
        "un code INSEE, un UAI. Accents ignorés. S'il y a plusieurs homonymes (statut "
        "« homonymes »), ils sont tous listés : ne choisissez pas à la place de l'utilisateur."
    ),
    "get_indicator": (
        "Valeur d'un indicateur officiel pour un territoire et une année scolaire : valeur, "
        "base, statut (ok, non_significatif, absent), rang, le même indicateur pour chaque "
        "niveau parent jusqu'à la France, et la série sur toutes les années ; chaque valeur "
        "avec sa citation (URL de l'API qui la redonne)."
    ),
    "compare_territories": (
        "Compare un indicateur entre plusieurs territoires (2 à 30) pour une même année "
        "scolaire, chaque valeur avec sa base, son statut et sa citation."
    ),
    "list_indicators": (
        "Liste les indicateurs officiels calculés par la release : définition, formule, "
        "agrégation, base, niveaux, années, jeux sources, précautions. La méthodologie "
        "complète est dans la ressource ardoise://indicateurs/{id}."
    ),
}


class ArdoiseMCP(MCPServer[Any]):
    """MCPServer whose argument-validation errors are French and say what to do."""

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any],
        context: Context[Any, Any] | None = None,
    ) -> CallToolResult | InputRequiredResult:
        known = [t.name for t in await self.list_tools()]
        if name not in known:
            raise ToolError(f"Outil inconnu : {name[:80]!r}. Outils : {', '.join(known)}.")
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            cause = exc.__cause__
            if isinstance(cause, ValidationError) and not isinstance(exc, UnexpectedToolError):
                raise ToolError(validation_message(name, cause)) from None
            raise


def validation_message(tool: str, error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        field = ".".join(str(p) for p in e.get("loc", ())) or "arguments"
        kind, ctx = e.get("type", ""), e.get("ctx") or {}
        if kind == "missing":
            text = "argument obligatoire manquant"
        elif kind == "string_too_short":
            text = f"au moins {ctx.get('min_length')} caractère(s)"
        elif kind == "string_too_long":
            text = f"au plus {ctx.get('max_length')} caractères"
        elif kind == "too_short":
            text = f"au moins {ctx.get('min_length')} élément(s)"
        elif kind == "too_long":
            text = f"au plus {ctx.get('max_length')} éléments"
        elif kind == "less_than_equal":
            text = f"doit être inférieur ou égal à {ctx.get('le')}"
        elif kind == "greater_than_equal":
            text = f"doit être supérieur ou égal à {ctx.get('ge')}"
        elif kind.startswith(("int_", "string_", "list_", "bool_", "float_")):
            expected = {
                "int": "un entier",
                "string": "une chaîne",
                "list": "une liste",
                "bool": "un booléen",
                "float": "un nombre",
            }[kind.split("_")[0]]
            text = f"type invalide, attendu {expected}"
        else:
            text = f"valeur invalide ({e.get('msg', kind)})"
        parts.append(f"« {field} » : {text}")
    return (
        f"Arguments invalides pour {tool} : {' ; '.join(parts)}. Le schéma des arguments "
        "est donné par tools/list."
    )


class Tools:
    """The seven tools over a release holder; each method is one tool (its name and
    signature are the tool's, its body one call to a function of ``ardoise.mcp``)."""

    def __init__(self, releases: ReleaseHolder, settings: Settings) -> None:
        self.releases = releases
        self.settings = settings
        self.archive = ReleaseArchive(settings, releases)

    def call(
        self,
        fn: Callable[[ServedRelease, Citer], T],
        release: str | None = None,
        day: str | None = None,
    ) -> T:
        """Run a tool body on the current release, or the one ``release``/``day`` names
        (time travel, as ``release=``/``date=`` on the HTTP API); domain errors become tool
        errors."""
        try:
            rid = self.archive.resolve(release, day)
            served = self.releases.get() if rid is None else self.archive.get(rid)
            return fn(served, Citer.of(served, self.settings.public_url))
        except (NoRelease, ReleaseCorrupt) as exc:
            raise ToolError(
                f"{exc} Le serveur n'a aucune donnée à servir pour l'instant."
            ) from None
        except QueryError as exc:
            raise ToolError(
                f"{exc} Vérifiez les noms de champs et leurs types avec "
                "describe_dataset(dataset_id)."
            ) from None
        except ArdoiseError as exc:
            raise ToolError(str(exc)) from None

    def search_datasets(
        self, query: SearchText, release: ReleaseId = None, date: ReleaseDay = None
    ) -> DatasetSearch:
        return self.call(lambda r, c: datasets.search_datasets(r, c, query), release, date)

    def describe_dataset(
        self, dataset_id: DatasetId, release: ReleaseId = None, date: ReleaseDay = None
    ) -> DatasetDescription:
        return self.call(lambda r, c: datasets.describe_dataset(r, c, dataset_id), release, date)

    def query_records(
        self,
        dataset_id: DatasetId,
        where: Annotated[Odsql, Field(description="Filtre ODSQL.")] = None,
        select: Annotated[Odsql, Field(description="Champs ou agrégats ODSQL.")] = None,
        group_by: Annotated[Odsql, Field(description="Regroupement ODSQL.")] = None,
        order_by: Annotated[Odsql, Field(description="Tri ODSQL (champ desc).")] = None,
        limit: RowLimit = records.DEFAULT_ROWS,
        release: ReleaseId = None,
        date: ReleaseDay = None,
    ) -> RecordsResult:
        return self.call(
            lambda r, c: records.query_records(
                r,
                c,
                dataset_id,
                where=where,
                select=select,
                group_by=group_by,
                order_by=order_by,
                limit=limit,
            ),
            release,
            date,
        )

    def find_territory(
        self, name: TerritoryName, release: ReleaseId = None, date: ReleaseDay = None
    ) -> TerritoryResolution:
        return self.call(lambda r, c: territory.find_territory(r, c, name), release, date)

    def get_indicator(
        self,
        indicator_id: IndicatorId,
        territory: TerritoryArg,
        school_year: SchoolYear = None,
        release: ReleaseId = None,
        date: ReleaseDay = None,
    ) -> IndicatorResult:
        return self.call(
            lambda r, c: indicators.get_indicator(r, c, indicator_id, territory, school_year),
            release,
            date,
        )

    def compare_territories(
        self,
        indicator_id: IndicatorId,
        territories: TerritoryList,
        school_year: SchoolYear = None,
        release: ReleaseId = None,
        date: ReleaseDay = None,
    ) -> Comparison:
        return self.call(
            lambda r, c: indicators.compare_territories(
                r, c, indicator_id, territories, school_year
            ),
            release,
            date,
        )

    def list_indicators(self, release: ReleaseId = None, date: ReleaseDay = None) -> IndicatorList:
        return self.call(lambda r, c: indicators.list_indicators(r, c), release, date)


def build_server(settings: Settings, holder: ReleaseHolder | None = None) -> ArdoiseMCP:
    server = ArdoiseMCP(
        NAME,
        title="Ardoise — chiffres officiels de l'éducation",
        version=__version__,
        instructions=documents.TOOLS_GUIDE,
        website_url=settings.public_url,
        log_level="WARNING",
    )
    tools = Tools(holder or ReleaseHolder(settings), settings)
    for name, description in TOOLS.items():
        server.tool(name=name, annotations=READ_ONLY, description=description)(getattr(tools, name))
    _resources(server, tools.call)
    _prompts(server)
    return server


def _resources(
    server: MCPServer[Any], run: Callable[[Callable[[ServedRelease, Citer], str]], str]
) -> None:
    def call(fn: Callable[[ServedRelease, Citer], str]) -> str:
        try:
            return run(fn)
        except ToolError as exc:  # a resource fails with a resource error, same message
            raise ResourceError(str(exc)) from None

    @server.resource(
        "ardoise://catalogue",
        name="catalogue",
        mime_type="text/markdown",
        title="Ce que ce serveur sait, et ne sait pas, répondre",
        description="Jeux, années, indicateurs, outils, et les limites du serveur. "
        "À lire en premier.",
    )
    def catalogue() -> str:
        return call(documents.overview)

    @server.resource(
        "ardoise://jeux/{dataset_id}",
        name="jeu",
        mime_type="text/markdown",
        title="Documentation d'un jeu de données",
        description="Champs, années, couverture, précautions d'un jeu.",
    )
    def jeu(dataset_id: str) -> str:
        return call(lambda r, c: documents.dataset_document(r, c, dataset_id))

    @server.resource(
        "ardoise://indicateurs/{indicator_id}",
        name="indicateur",
        mime_type="text/markdown",
        title="Méthodologie d'un indicateur",
        description="Définition, formule, méthode, sources et précautions.",
    )
    def indicateur(indicator_id: str) -> str:
        return call(lambda r, c: documents.indicator_document(r, indicator_id))


def _prompts(server: MCPServer[Any]) -> None:
    @server.prompt(
        name="chiffre_officiel",
        title="Répondre avec un chiffre officiel",
        description="Répondre à une question chiffrée sur l'éducation avec les "
        "chiffres officiels et leur source.",
    )
    def chiffre_officiel(question: str) -> str:
        return (
            f"Question : {question}\n\n"
            "Réponds avec les chiffres officiels du serveur Ardoise, sans rien estimer :\n"
            "1. Lis la ressource ardoise://catalogue si tu ne l'as pas lue.\n"
            "2. Résous chaque lieu avec find_territory ; s'il y a des homonymes, demande "
            "lequel.\n"
            "3. Si un indicateur correspond (list_indicators), utilise get_indicator ; sinon "
            "search_datasets, describe_dataset puis query_records avec un agrégat.\n"
            "4. Donne le chiffre tel quel, son année scolaire, sa base, et cite la source "
            "(jeux, release, licence, URL de la citation). Une valeur « non_significatif » "
            "ou « absent » ne se cite pas comme un chiffre."
        )

    @server.prompt(
        name="comparer_territoires",
        title="Comparer des territoires",
        description="Comparer un indicateur entre des territoires, avec la France pour repère.",
    )
    def comparer_territoires(indicateur: str, territoires: str) -> str:
        return (
            f"Compare l'indicateur « {indicateur} » entre : {territoires}.\n"
            "1. Trouve l'identifiant exact avec list_indicators.\n"
            "2. Résous chaque territoire avec find_territory (niveau:code).\n"
            "3. Appelle compare_territories pour une même année scolaire, puis get_indicator "
            "sur l'un d'eux pour la valeur France (parents).\n"
            "4. Présente un tableau : territoire, valeur, base, statut, et la citation de "
            "chaque valeur."
        )
