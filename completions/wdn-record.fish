# fish completion for wdn-record (whodunnit): fish loads this file to complete
# wdn-record; __wdn_complete (completions/wdn.fish) registers its options.
__wdn_complete wdn-record
