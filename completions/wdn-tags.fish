# fish completion for wdn-tags (whodunnit): fish loads this file to complete
# wdn-tags; __wdn_complete (completions/wdn.fish) registers its options.
__wdn_complete wdn-tags
