// Imports every subcommand module so that it registers itself with the CLI.
