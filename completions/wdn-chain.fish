# fish completion for wdn-chain (whodunnit): fish loads this file to complete
# wdn-chain; __wdn_complete (completions/wdn.fish) registers its options.
__wdn_complete wdn-chain
