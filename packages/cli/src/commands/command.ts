import type { LoadedConfig } from '@posthorn/core';

/** Every option the CLI knows; each command says which of them it accepts. */
export const OPTIONS = {
  config: { type: 'string', valueName: 'PATH', description: 'config file (default: search posthorn.config.* / .posthornrc* upward from the current directory)' },
  help: { type: 'boolean', short: 'h', description: 'show help' },
  version: { type: 'boolean', description: 'print the version' },
  json: { type: 'boolean', description: 'print JSON instead of text' },
  name: { type: 'string', valueName: 'NAME', description: 'display name of the account' },
  'password-stdin': { type: 'boolean', description: 'read the password from standard input (one line) instead of prompting' },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** Accepted by every command. */
export const GLOBAL_OPTIONS: readonly OptionName[] = ['config', 'help', 'version'];

export interface OptionValues {
  readonly config?: string;
  readonly help?: boolean;
  readonly version?: boolean;
  readonly json?: boolean;
  readonly name?: string;
  readonly 'password-stdin'?: boolean;
}

export interface CommandContext {
  /** Positional arguments after the command name, checked against the command's `args`. */
  readonly args: readonly string[];
  readonly options: OptionValues;
  /** The config from --config, or found by cosmiconfig's search from the current directory. */
  loadConfig(): Promise<LoadedConfig>;
}

export interface CommandSpec {
  /** Words after `posthorn`, e.g. `user add`. */
  readonly name: string;
  readonly summary: string;
  /** Positional arguments; names are upper case in help. */
  readonly args: readonly { readonly name: string; readonly optional?: boolean }[];
  readonly options: readonly OptionName[];
  /** Paragraphs shown by --help below the usage line. */
  readonly details?: string;
  /** Resolves to the exit status. */
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly CommandSpec[];
}
