"""The territorial referential: communes, départements, académies, régions académiques and
régions with their geometries, built once per source version into a release's
``referential/`` folder and read back by every layer; and the one table of territorial
levels.

    build_referential(mirror, node_modules, out_dir, cache_dir) -> ReferentialSummary
                                                                    (build.py)
    locate_inputs(mirror, node_modules) -> ReferentialInputs        (inputs.py)
    Referential.load(folder) -> Referential                         (load.py)
    canonical_code(niveau, value) -> str                            (load.py)
    LEVELS, LADDER, LINKS, CODE_LEVELS, ladder(first, last)         (levels.py)
    name_key(text) -> str                                           (keys.py)

The package re-exports nothing: callers import the module (``from ardoise.referential.levels
import LADDER``), so reading the levels never loads the builder.
"""
