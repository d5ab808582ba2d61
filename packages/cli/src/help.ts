import { GLOBAL_OPTIONS, OPTIONS, type CommandGroup, type CommandSpec, type OptionName } from './commands/command.ts';
import { allCommands } from './commands/index.ts';

function optionLabel(name: OptionName): string {
  const option = OPTIONS[name];
  const short = 'short' in option ? `-${option.short}, ` : '';
  const value = 'valueName' in option ? ` ${option.valueName}` : '';
  return `${short}--${name}${value}`;
}

function optionLines(names: readonly OptionName[]): string[] {
  const width = Math.max(...names.map((name) => optionLabel(name).length));
  return names.map((name) => `  ${optionLabel(name).padEnd(width)}  ${OPTIONS[name].description}`);
}

function argsLabel(command: CommandSpec): string {
  return command.args.map((arg) => (arg.optional ? `[${arg.name.toUpperCase()}]` : arg.name.toUpperCase())).join(' ');
}

/** `user add ADDRESS`: the command with its positional arguments. */
export function synopsis(command: CommandSpec): string {
  return [command.name, argsLabel(command)].filter(Boolean).join(' ');
}

export function mainHelp(version: string): string {
  const commands = allCommands();
  const width = Math.max(...commands.map((c) => synopsis(c).length));
  return [
    `posthorn ${version}: a plugin-based mail server (MSA, MTA, MDA)`,
    '',
    'Usage: posthorn [--config PATH] COMMAND [ARGUMENTS] [OPTIONS]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${synopsis(c).padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    "Run 'posthorn COMMAND --help' for the options of a command.",
  ].join('\n');
}

export function groupHelp(group: CommandGroup): string {
  const width = Math.max(...group.commands.map((c) => synopsis(c).length));
  return [
    `Usage: posthorn ${group.name} SUBCOMMAND ...`,
    '',
    `${group.summary}`,
    '',
    'Subcommands:',
    ...group.commands.map((c) => `  ${synopsis(c).padEnd(width)}  ${c.summary}`),
    '',
    `Run 'posthorn ${group.name} SUBCOMMAND --help' for its options.`,
  ].join('\n');
}

export function commandHelp(command: CommandSpec): string {
  const own = command.options.map((name) => ` [${optionLabel(name).replace(/^-\w, /, '')}]`).join('');
  return [
    `Usage: posthorn ${synopsis(command)}${own}`,
    '',
    command.summary,
    ...(command.details ? ['', command.details] : []),
    '',
    'Options:',
    ...optionLines([...command.options, ...GLOBAL_OPTIONS.filter((name) => name !== 'version')]),
  ].join('\n');
}
