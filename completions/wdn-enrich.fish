# fish completion for wdn-enrich (whodunnit): fish loads this file to complete
# wdn-enrich; __wdn_complete (completions/wdn.fish) registers its options.
__wdn_complete wdn-enrich
