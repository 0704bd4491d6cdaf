"""The CEL filter subset the Tekton Results server accepts: AST, parser, type check, SQL."""
