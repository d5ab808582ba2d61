import type { CommandContext, CommandGroup, CommandSpec } from './command.ts';

/*
 * The catalog of commands: names, arguments, options and help. Implementations are imported
 * only when a command runs, because loading the core (smtp-server, ajv, pino) takes most of a
 * second and `posthorn --help` or a usage error should not pay for it.
 */

type Run = (ctx: CommandContext) => Promise<number>;
const lazy =
  <M,>(load: () => Promise<M>, pick: (module: M) => Run): Run =>
  async (ctx) =>
    pick(await load())(ctx);

const PASSWORD_HELP = 'Without --password-stdin the password is asked twice at the terminal, without echo; without a terminal the command refuses.';
const ADMIN_HELP =
  'Runs in the running server through its control socket (core.control.socket) when one answers; otherwise loads the plugins here and acts on their files directly.';

const start: CommandSpec = {
  name: 'start',
  summary: 'run the server',
  args: [],
  options: [],
  details: [
    'Logs go to standard output: JSON lines, or human-readable on a terminal (core.log.format).',
    'The last startup line has msg "ready" and the listeners\' addresses.',
    'SIGTERM or SIGINT: stop accepting, let connections finish, stop the plugins, exit 0.',
    'A second SIGTERM or SIGINT exits at once. SIGHUP reads every rule file again (see `posthorn reload`).',
  ].join('\n'),
  run: lazy(() => import('./start.ts'), (m) => m.start),
};

const checkConfig: CommandSpec = {
  name: 'check-config',
  summary: "validate the config file and every plugin's options",
  args: [],
  options: ['json'],
  details: 'Prints every problem, one per line, as `file: /json/pointer message`, and exits 1; otherwise prints "ok" and a summary line.',
  run: lazy(() => import('./check-config.ts'), (m) => m.checkConfig),
};

const plugins: CommandSpec = {
  name: 'plugins',
  summary: 'show plugins, the hooks they tap in call order, services and admin commands',
  args: [],
  options: ['json'],
  run: lazy(() => import('./plugins.ts'), (m) => m.plugins),
};

const user: CommandGroup = {
  name: 'user',
  summary: 'manage accounts',
  commands: [
    {
      name: 'user add',
      summary: 'add an account',
      args: [{ name: 'address' }],
      options: ['name', 'password-stdin', 'json'],
      details: `${PASSWORD_HELP}\n${ADMIN_HELP}`,
      run: lazy(() => import('./user.ts'), (m) => m.userAdd),
    },
    {
      name: 'user del',
      summary: 'remove an account (its mailboxes stay on disk)',
      args: [{ name: 'address' }],
      options: ['json'],
      details: ADMIN_HELP,
      run: lazy(() => import('./user.ts'), (m) => m.userDel),
    },
    {
      name: 'user list',
      summary: 'list accounts',
      args: [],
      options: ['json'],
      details: ADMIN_HELP,
      run: lazy(() => import('./user.ts'), (m) => m.userList),
    },
    {
      name: 'user passwd',
      summary: "change an account's password",
      args: [{ name: 'address' }],
      options: ['password-stdin', 'json'],
      details: `${PASSWORD_HELP}\n${ADMIN_HELP}`,
      run: lazy(() => import('./user.ts'), (m) => m.userPasswd),
    },
  ],
};

const queue: CommandGroup = {
  name: 'queue',
  summary: 'inspect and manage the queue',
  commands: [
    {
      name: 'queue list',
      summary: 'list queued messages with the state of each recipient',
      args: [],
      options: ['json'],
      details: ADMIN_HELP,
      run: lazy(() => import('./queue.ts'), (m) => m.queueList),
    },
    {
      name: 'queue show',
      summary: 'show one queued message: envelope, recipients, header',
      args: [{ name: 'id' }],
      options: ['json'],
      details: ADMIN_HELP,
      run: lazy(() => import('./queue.ts'), (m) => m.queueShow),
    },
    {
      name: 'queue retry',
      summary: 'make deferred recipients due now (one message, or all)',
      args: [{ name: 'id', optional: true }],
      options: ['json'],
      details: ADMIN_HELP,
      run: lazy(() => import('./queue.ts'), (m) => m.queueRetry),
    },
    {
      name: 'queue delete',
      summary: 'remove a message from the queue without delivering or bouncing it',
      args: [{ name: 'id' }],
      options: ['json'],
      details: ADMIN_HELP,
      run: lazy(() => import('./queue.ts'), (m) => m.queueDelete),
    },
  ],
};

const dnsRecords: CommandSpec = {
  name: 'dns-records',
  summary: 'print the DNS records a local domain needs: MX, SPF, DKIM, DMARC, PTR advice',
  args: [{ name: 'domain', optional: true }],
  options: ['json'],
  details: `Without DOMAIN: every local domain of the account directory. Plugins add their own records (DKIM keys).\n${ADMIN_HELP}`,
  run: lazy(() => import('./dns-records.ts'), (m) => m.dnsRecords),
};

const reload: CommandSpec = {
  name: 'reload',
  summary: 'read every rule file of the running server again',
  args: [],
  options: ['json'],
  details: `Each rule file with errors keeps its previous version; the log names the file, line and problem. Like SIGHUP.\n${ADMIN_HELP}`,
  run: lazy(() => import('./reload.ts'), (m) => m.reload),
};

/** Every command, in the order help lists them: single commands and groups of subcommands. */
export const COMMANDS: readonly (CommandSpec | CommandGroup)[] = [start, checkConfig, plugins, user, queue, dnsRecords, reload];

export function isGroup(entry: CommandSpec | CommandGroup): entry is CommandGroup {
  return 'commands' in entry;
}

/** Every runnable command, groups flattened. */
export function allCommands(): CommandSpec[] {
  return COMMANDS.flatMap((entry) => (isGroup(entry) ? [...entry.commands] : [entry]));
}
