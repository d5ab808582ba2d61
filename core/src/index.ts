export { App } from './app.ts';
export type { AppOptions, Description, ListenerAddress } from './app.ts';
export { callControl } from './admin/control.ts';
export { clientKey, expandIpv6, isLoopback } from './auth/client-address.ts';
export { MemoryFailureStore } from './auth/failure-store.ts';
export type { FailureStore } from './auth/failure-store.ts';
export { LoginThrottle, loginKey } from './auth/login-throttle.ts';
export { PasswordGate } from './auth/password-gate.ts';
export { throttleFromOptions, throttleOptionProperties } from './auth/throttle-options.ts';
export type { ThrottleOptions } from './auth/throttle-options.ts';
export type { LoginRefusal, LoginResult, PasswordGateDeps } from './auth/password-gate.ts';
export { decodePlain, SASL_MECHANISMS } from './auth/sasl-plain.ts';
export type { FailureRecord, LockScope, ThrottleLimits } from './auth/login-throttle.ts';
export { ConfigError, coreSchema, loadConfig, parseConfig, readConfigFile } from './config.ts';
export type { CoreConfig, ListenerConfig, LoadedConfig, PluginSpec } from './config.ts';
export type {
  AuthenticatedUser,
  AuthRequest,
  AuthVerdict,
  BounceEvent,
  DelayedEvent,
  DeliveredEvent,
  Delivery,
  HeloCommand,
  ListenerInfo,
  ListenerRole,
  QueueRequest,
  Sender,
  Session,
  Transaction,
} from './context.ts';
export { createResolver } from './dns.ts';
export { ErrorCodes, isPosthornError, PosthornError } from './errors.ts';
export type { ErrorCode } from './errors.ts';
export { HOOK_NAMES, HookSet, TapFailure } from './hooks.ts';
export type { Attributed, HookArgs, HookFn, HookName, HookResult, HookSignatures, NotificationHookName, TapOptions } from './hooks.ts';
export { newId } from './ids.ts';
export { SessionListener } from './net/session-listener.ts';
export { socketDrained, upgradeToTls } from './net/socket.ts';
export { accessListenerName, accessListenerSchema, accessListenerSettings, serveAccessListeners } from './net/access-listener.ts';
export type { AccessListenerOptions, TlsMode } from './net/access-listener.ts';
export { clientNetwork } from './net/client-network.ts';
export { parseNetworkEntries, parseNetworks } from './net/networks.ts';
export type { NetworkList } from './net/networks.ts';
export { compileAddressPatterns, normaliseAddress, normaliseDomain } from './rules/address-patterns.ts';
export type { AddressPatterns } from './rules/address-patterns.ts';
export type { ListenerSession, SessionFactory, SessionListenerOptions } from './net/session-listener.ts';
export { candidateNames, loadPlugins, PluginLoadError, resolvePluginFile } from './loader.ts';
export type { LoadedPlugin, PluginIssue } from './loader.ts';
export { createLogger, silentLogger } from './logger.ts';
export type { Logger } from './logger.ts';
export { HeaderField, HeaderList } from './message/headers.ts';
export { Message } from './message/message.ts';
export type { MessageContent } from './message/message.ts';
export { definePlugin, isPlugin } from './plugin.ts';
export { isOutgoing, outgoingSelectionSchema } from './outgoing.ts';
export type { OutgoingSelection } from './outgoing.ts';
export type { AdminCommand, DeliveryOutcome, DnsAdvice, Lifecycle, OptionsSchema, Plugin, PluginContext, PluginMeta } from './plugin.ts';
export { accept, reject, Replies, reply, SmtpReply, tempfail } from './reply.ts';
export type { Accept, Reject, Verdict } from './reply.ts';
export { ajv, deepFreeze, validateWithSchema } from './schema.ts';
export { describeFileProblem, parseDocumentText } from './rules/document.ts';
export type { FileProblem, ParsedDocument } from './rules/document.ts';
export { RuleSetError } from './rules/rule-set.ts';
export type { RuleSet, RuleSetOptions } from './rules/rule-set.ts';
export { watchFile } from './rules/watch.ts';
export type { SchemaIssue } from './schema.ts';
export { addressLiteral, receivedValue, rfc5322Date } from './smtp/received.ts';
export { MEMORY_STATE_DEFAULTS, MemoryState } from './state/memory-state.ts';
export type { MemoryStateOptions } from './state/memory-state.ts';
export type { TlsMaterial } from './tls.ts';
export { CORE_VERSION } from './version.ts';
