/**
 * @posthorn/cli: the `posthorn` command. `main` runs a command line and resolves to the exit
 * status; the binary (src/bin.ts) is a thin wrapper around it.
 */
export { main, parseCommandLine } from './main.ts';
export { runAdmin, withAdminApp } from './admin.ts';
