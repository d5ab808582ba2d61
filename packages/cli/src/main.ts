import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { GLOBAL_OPTIONS, OPTIONS, type CommandContext, type CommandGroup, type CommandSpec, type OptionValues } from './commands/command.ts';
import { COMMANDS, isGroup } from './commands/index.ts';
import { pluginCommand } from './commands/plugin-command.ts';
import { CliError, describeError, UsageError } from './errors.ts';
import { commandHelp, groupHelp, mainHelp } from './help.ts';
import { print, printError } from './output.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Exit statuses: 0 success, 1 failure, 2 wrong usage. */
const EXIT_USAGE = 2;

type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; command: CommandSpec; args: string[]; options: OptionValues };

/**
 * Runs the `posthorn` command line and resolves to the exit status. Errors become one line on
 * standard error: usage errors exit 2, everything else 1.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const hint = err.command ? `posthorn ${err.command} --help` : 'posthorn --help';
    printError(`posthorn: ${err.message} (see '${hint}')`);
    return EXIT_USAGE;
  }
  if (parsed.kind === 'help') {
    print(parsed.text);
    return 0;
  }
  if (parsed.kind === 'version') {
    const { CORE_VERSION } = await import('@posthorn/core');
    print(`posthorn ${VERSION} (core ${CORE_VERSION}, node ${process.versions.node})`);
    return 0;
  }
  const { command, args, options } = parsed;
  const ctx: CommandContext = {
    args,
    options,
    loadConfig: async () => (await import('@posthorn/core')).loadConfig(options.config !== undefined ? { path: options.config } : {}),
  };
  try {
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      printError(`posthorn: ${err.message} (see 'posthorn ${err.command ?? command.name} --help')`);
      return EXIT_USAGE;
    }
    printError(`posthorn: ${describeError(err)}`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

/** Finds the command and checks its options and arguments; throws UsageError. */
export function parseCommandLine(argv: readonly string[]): Parsed {
  const pluginCall = pluginCommandLine(argv);
  if (pluginCall) return pluginCall;
  let values: OptionValues;
  let positionals: string[];
  let tokens: NonNullable<ReturnType<typeof parseArgs>['tokens']>;
  try {
    ({ values, positionals, tokens } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true }));
  } catch (err) {
    throw new UsageError(parseErrorMessage(err as Error & { code?: string }));
  }

  if (values.config === '') throw new UsageError('--config needs a file path');
  const [first, second] = positionals;
  if (first === undefined) {
    if (values.version) return { kind: 'version' };
    if (values.help) return { kind: 'help', text: mainHelp(VERSION) };
    throw new UsageError('no command given');
  }
  const entry = COMMANDS.find((candidate) => candidate.name === first);
  if (!entry) throw new UsageError(`unknown command: ${first}`);

  let command: CommandSpec;
  let rest: string[];
  if (isGroup(entry)) {
    const group: CommandGroup = entry;
    if (second === undefined) {
      if (values.help) return { kind: 'help', text: groupHelp(group) };
      throw new UsageError(`${group.name} needs a subcommand: ${group.commands.map((c) => c.name.split(' ')[1]).join(', ')}`, group.name);
    }
    const sub = group.commands.find((candidate) => candidate.name === `${group.name} ${second}`);
    if (!sub) throw new UsageError(`unknown command: ${group.name} ${second}`, group.name);
    command = sub;
    rest = positionals.slice(2);
  } else {
    command = entry;
    rest = positionals.slice(1);
  }

  if (values.help) return { kind: 'help', text: commandHelp(command) };
  if (values.version) return { kind: 'version' };

  const allowed = new Set<string>([...GLOBAL_OPTIONS, ...command.options]);
  for (const token of tokens) {
    if (token.kind === 'option' && !allowed.has(token.name)) throw new UsageError(`${command.name} does not take ${token.rawName}`, command.name);
  }
  const required = command.args.filter((arg) => !arg.optional).length;
  if (rest.length < required) {
    throw new UsageError(`${command.name} needs ${command.args.slice(rest.length, required).map((a) => a.name.toUpperCase()).join(' ')}`, command.name);
  }
  if (rest.length > command.args.length) throw new UsageError(`unexpected argument: ${rest[command.args.length]}`, command.name);
  for (const [index, value] of rest.entries()) {
    if (value === '') throw new UsageError(`${command.args[index]!.name.toUpperCase()} is empty`, command.name);
  }
  return { kind: 'run', command, args: rest, options: values };
}

/**
 * `posthorn GROUP ACTION ...` where GROUP is none of the CLI's own commands: an admin command a
 * plugin registered as GROUP.ACTION. Its flags are the plugin's, so they are parsed loosely.
 */
function pluginCommandLine(argv: readonly string[]): Parsed | undefined {
  const { positionals, flags } = splitPluginArguments(argv);
  const [group, action, ...rest] = positionals;
  if (group === undefined || action === undefined || COMMANDS.some((entry) => entry.name === group)) return undefined;
  if (!/^[a-z][a-z0-9-]*$/.test(group) || !/^[a-z][a-z0-9-]*$/.test(action)) return undefined;
  if (flags.help) return { kind: 'help', text: `usage: posthorn ${group} ${action} [ARGS] [--option value]\nRuns the admin command ${group}.${action} that a plugin registered; 'posthorn plugins' lists them.` };
  const command = pluginCommand(group, action, rest, flags);
  return { kind: 'run', command, args: [], options: { ...(typeof flags.config === 'string' ? { config: flags.config } : {}), ...(flags.json ? { json: true } : {}) } };
}

/**
 * Splits a plugin command line without knowing the plugin's options: `--name=value`,
 * `--name value` (when the next word is not an option), `--name` alone (true), `-h`; the rest
 * are positional. So `dkim keygen example.org --selector s1 --force` reads as meant; a flag
 * that takes no value belongs after the positional arguments (or write `--flag=true`).
 */
export function splitPluginArguments(argv: readonly string[]): { positionals: string[]; flags: Record<string, string | boolean> } {
  const positionals: string[] = [];
  const flags: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (word === '-h') {
      flags.help = true;
    } else if (word.startsWith('--') && word.length > 2) {
      const eq = word.indexOf('=');
      if (eq !== -1) {
        flags[word.slice(2, eq)] = word.slice(eq + 1);
      } else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('-')) {
          flags[word.slice(2)] = next;
          i++;
        } else {
          flags[word.slice(2)] = true;
        }
      }
    } else {
      positionals.push(word);
    }
  }
  return { positionals, flags };
}

/** node:util's messages explain `--` escaping at length; the first sentence is enough. */
function parseErrorMessage(err: Error & { code?: string }): string {
  const option = /'([^']+)'/.exec(err.message)?.[1];
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option) return `unknown option ${option}`;
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && option) return `${option.split(' ')[0]} ${/argument missing/.test(err.message) ? 'needs a value' : 'takes no value'}`;
  return (err.message.split(/\.\s/)[0] ?? err.message).replace(/\.$/, '');
}
