"""One reader per media type; each turns a file into its metadata dict or raises ProbeError."""
