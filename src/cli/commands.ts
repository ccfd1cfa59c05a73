// Imports every subcommand module so that it registers itself with the CLI.
import './xml-validate.js';
import './call.js';
import './serve.js';
