# fish completion for wdn-lookup (whodunnit): fish loads this file to complete
# wdn-lookup; __wdn_complete (completions/wdn.fish) registers its options.
__wdn_complete wdn-lookup
