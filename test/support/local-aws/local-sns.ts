/**
 * LocalSns: a real loopback SNS endpoint for tests, spoken to by the unmodified `@aws-sdk/client-sns`
 * (through `endpoint`, or `AWS_ENDPOINT_URL_SNS` in a child process).
 *
 * Wire protocol: awsQuery, as the installed client (3.1169, `AwsQueryProtocol`) speaks it: a form-
 * encoded POST (`Action=Publish&Version=2010-03-31&...`, lists as `Name.member.N`, maps as
 * `Name.entry.N.Name` / `.Value`), answered with XML (`<PublishResponse><PublishResult>...`).
 * Errors are `<ErrorResponse><Error><Type/><Code/><Message/></Error>` with the code the SDK maps to
 * its exception class through the model's `awsQueryError` trait: `InvalidParameter` becomes
 * `InvalidParameterException`, `ParameterValueInvalid` becomes `InvalidParameterValueException`,
 * `NotFound` becomes `NotFoundException`, and so on (see `SNS_FAULTS`).
 *
 * Written from the SNS API reference (Publish, PublishBatch, CreateTopic, ListTopics,
 * BatchResultErrorEntry, MessageAttributeValue) and the SNS developer guide (message attributes).
 *
 * Implemented:
 * - Publish (TopicArn or TargetArn naming a topic) and PublishBatch: 256 KiB per message, body plus
 *   attribute names, types and values (`InvalidParameterException` "Message too long"); PublishBatch
 *   at most 10 entries (`TooManyEntriesInBatchRequestException`), at least one
 *   (`EmptyBatchRequestException`), distinct ids (`BatchEntryIdsNotDistinctException`), ids of at most
 *   80 alphanumerics, `-` and `_` (`InvalidBatchEntryIdException`), 256 KiB over all entries
 *   (`BatchRequestTooLongException`). A malformed entry fails the whole call, as SNS does, rather than
 *   landing in `Failed[]`.
 * - Subject: 1-99 characters, no line breaks or control characters (`InvalidParameterException`).
 * - MessageStructure: only `json`; then the message must be a JSON object with a string `default`
 *   (keys with non-string values are ignored, as documented).
 * - Message attributes: types `String`, `String.Array`, `Number`, `Binary`, each optionally with a
 *   custom label (`Number.int`); String and Number need a non-empty `StringValue`, Binary a non-empty
 *   `BinaryValue`; Number within SNS's range and 38 digits; String.Array a JSON array of strings,
 *   numbers, booleans and nulls; names of at most 256 characters from `A-Za-z0-9_-.`, not starting or
 *   ending with a period and without two in a row (all `InvalidParameterValueException`).
 * - MessageDeduplicationId on a standard topic is rejected; MessageGroupId is accepted (standard
 *   topics take it since 2025) and recorded.
 * - CreateTopic (idempotent by name) and ListTopics (100 a page, NextToken); unknown topics answer
 *   `NotFoundException` "Topic does not exist"; unknown actions `InvalidAction` (400).
 * - Test hooks: every accepted message is recorded (`messages`), calls are counted by action
 *   (`callCount`), the next N calls can fail with any SNS error (`failNext`, `SNS_FAULTS`), and single
 *   PublishBatch entries can be put into `Failed[]` (`failEntries`).
 *
 * Not implemented: FIFO topics (sequence numbers, deduplication), delivery to subscribers,
 * subscriptions and filter policies, SMS and mobile push (PhoneNumber, endpoint TargetArns), topic
 * attributes, tags, data protection policies, KMS (only its errors, by injection), signature checks
 * (an `Authorization` header must merely exist) and region checks on ARNs.
 */
import { randomUUID } from 'node:crypto';
import type { MessageAttributeValue } from '@aws-sdk/client-sns';
import {
  type InjectedFault,
  LocalAwsPeer,
  type LocalAwsPeerOptions,
  type PeerReply,
  type PeerRequest,
  utf8Bytes,
} from './local-aws-peer.ts';

/** 256 KiB: the limit for one message and for a whole PublishBatch (API reference, Publish). */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
export const SNS_MAX_BATCH_ENTRIES = 10;
const MAX_SUBJECT_CHARS = 99;
const MAX_BATCH_ID_CHARS = 80;
const MAX_ATTRIBUTE_NAME_CHARS = 256;
const TOPICS_PAGE_SIZE = 100;
const API_VERSION = '2010-03-31';
const XML_NAMESPACE = `http://sns.amazonaws.com/doc/${API_VERSION}/`;

export type SnsAction = 'Publish' | 'PublishBatch' | 'CreateTopic' | 'ListTopics';

/**
 * SNS errors by wire code and status (from the client's error model), for `failNext`. The SDK turns
 * each into the exception in the comment; 5xx and `Throttled` are retryable for it.
 */
export const SNS_FAULTS = {
  /** InternalErrorException, server fault */
  internalError: { code: 'InternalError', status: 500, message: 'Internal error' },
  /** ThrottledException (429) */
  throttled: { code: 'Throttled', status: 429, message: 'Rate exceeded' },
  /** AuthorizationErrorException */
  authorizationError: {
    code: 'AuthorizationError',
    status: 403,
    message: 'User is not authorized to perform: SNS:Publish on resource',
  },
  /** KMSAccessDeniedException */
  kmsAccessDenied: {
    code: 'KMSAccessDenied',
    status: 400,
    message: 'The ciphertext refers to a customer master key that does not exist',
  },
  /** KMSDisabledException */
  kmsDisabled: {
    code: 'KMSDisabled',
    status: 400,
    message: 'The request was rejected because the key is disabled',
  },
  /** KMSThrottlingException */
  kmsThrottling: { code: 'KMSThrottling', status: 400, message: 'Rate exceeded for KMS' },
  /** KMSNotFoundException */
  kmsNotFound: { code: 'KMSNotFound', status: 400, message: 'The key does not exist' },
  /** NotFoundException */
  notFound: { code: 'NotFound', status: 404, message: 'Topic does not exist' },
} as const satisfies Record<string, Required<InjectedFault>>;

/** One message SNS accepted, as the publisher sent it. */
export interface RecordedSnsMessage {
  action: 'Publish' | 'PublishBatch';
  topicArn: string;
  messageId: string;
  /** The PublishBatch entry `Id`; absent for Publish. */
  batchEntryId?: string;
  subject?: string;
  message: string;
  messageStructure?: 'json';
  /** In the SDK's shape; `BinaryValue` decoded to bytes. Empty when none were sent. */
  messageAttributes: Record<string, MessageAttributeValue>;
  messageGroupId?: string;
}

/** What `failEntries` sees of a PublishBatch entry to decide whether it fails. */
export interface SnsBatchEntryView {
  id: string;
  subject?: string;
  message: string;
}

export interface SnsEntryFailure {
  /** The `Code` in `Failed[]`, e.g. `InternalFailure` or `InvalidParameter`. */
  code: string;
  /** true: the publisher's fault (do not retry); false: SNS's (retry). */
  senderFault: boolean;
  message?: string;
}

export interface FailEntriesOptions {
  /** How many entries fail. @default 1 */
  times?: number;
  /** Only entries for which this is true fail. @default every entry */
  where?: (entry: SnsBatchEntryView) => boolean;
}

export interface LocalSnsOptions extends LocalAwsPeerOptions {
  /** Topic names that exist from the start. @default none */
  topics?: readonly string[];
}

/** An SNS error answer: the wire code, its HTTP status and the message. */
class SnsApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.name = 'SnsApiError';
    this.code = code;
    this.status = status;
  }
}

const invalidParameter = (message: string) => new SnsApiError('InvalidParameter', 400, message);
const invalidValue = (message: string) => new SnsApiError('ParameterValueInvalid', 400, message);

interface ScheduledEntryFailure {
  failure: SnsEntryFailure;
  remaining: number;
  where: ((entry: SnsBatchEntryView) => boolean) | undefined;
}

/** A loopback SNS endpoint; see the module header for what it implements. */
export class LocalSns extends LocalAwsPeer<SnsAction> {
  protected readonly endpointEnvName = 'AWS_ENDPOINT_URL_SNS';
  protected readonly missingAuthentication = {
    code: 'MissingAuthenticationToken',
    status: 403,
    message: 'Request is missing Authentication Token',
  };
  /** Topic ARNs in creation order. */
  readonly #topics: string[] = [];
  #messages: RecordedSnsMessage[] = [];
  #entryFailures: ScheduledEntryFailure[] = [];

  constructor(options: LocalSnsOptions = {}) {
    super(options);
    for (const name of options.topics ?? []) this.createTopic(name);
  }

  /** Creates a standard topic (idempotent) and returns its ARN. */
  createTopic(name: string): string {
    const problem = topicNameProblem(name);
    if (problem) throw new Error(`LocalSns cannot create topic '${name}': ${problem}`);
    const arn = `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
    if (!this.#topics.includes(arn)) this.#topics.push(arn);
    return arn;
  }

  get topicArns(): readonly string[] {
    return [...this.#topics];
  }

  /** Every accepted message, in acceptance order. */
  get messages(): readonly RecordedSnsMessage[] {
    return [...this.#messages];
  }

  messagesFor(topicArn: string): RecordedSnsMessage[] {
    return this.#messages.filter((m) => m.topicArn === topicArn);
  }

  /**
   * The next `times` PublishBatch entries (matching `where`) land in `Failed[]` with `failure`
   * inside an HTTP 200 instead of being accepted; the other entries of the call are accepted.
   */
  failEntries(failure: SnsEntryFailure, options: FailEntriesOptions = {}): void {
    const times = Math.floor(options.times ?? 1);
    if (times < 1) throw new Error(`failEntries needs times >= 1, got ${options.times}`);
    this.#entryFailures.push({ failure, remaining: times, where: options.where });
  }

  /** Injected call faults and entry failures not used up yet. */
  override pendingFaults(): number {
    return super.pendingFaults() + this.#entryFailures.reduce((sum, f) => sum + f.remaining, 0);
  }

  /** Forgets recorded messages, counts and pending faults; topics stay. */
  override reset(): void {
    super.reset();
    this.#messages = [];
    this.#entryFailures = [];
  }

  protected actionOf(request: PeerRequest): string {
    return parseQuery(request).Action ?? '';
  }

  protected errorReply(fault: Required<InjectedFault>, requestId: string): PeerReply {
    return errorXml(fault.code, fault.status, fault.message, requestId);
  }

  protected handle(action: string, request: PeerRequest): PeerReply {
    const params = parseQuery(request);
    try {
      switch (action) {
        case 'Publish':
          return this.#publish(params, request.requestId);
        case 'PublishBatch':
          return this.#publishBatch(params, request.requestId);
        case 'CreateTopic':
          return this.#createTopicAction(params, request.requestId);
        case 'ListTopics':
          return this.#listTopics(params, request.requestId);
        default:
          throw new SnsApiError(
            'InvalidAction',
            400,
            `Could not find operation ${action} for version ${params.Version ?? API_VERSION}`,
          );
      }
    } catch (error) {
      if (error instanceof SnsApiError) {
        return errorXml(error.code, error.status, error.message, request.requestId);
      }
      throw error;
    }
  }

  #publish(params: QueryParams, requestId: string): PeerReply {
    if (params.PhoneNumber !== undefined) {
      throw invalidParameter('Invalid parameter: PhoneNumber Reason: LocalSns publishes to topics only');
    }
    const topicArn = this.#existingTopic(params.TopicArn ?? params.TargetArn);
    const input = readMessage(params, '');
    if (input.bytes > SNS_MAX_MESSAGE_BYTES) throw invalidParameter('Invalid parameter: Message too long');
    const messageId = randomUUID();
    this.#messages.push({ action: 'Publish', topicArn, messageId, ...input.record });
    return resultXml('Publish', `<MessageId>${messageId}</MessageId>`, requestId);
  }

  #publishBatch(params: QueryParams, requestId: string): PeerReply {
    const prefixes = listPrefixes(params, 'PublishBatchRequestEntries');
    if (prefixes.length > SNS_MAX_BATCH_ENTRIES) {
      throw new SnsApiError(
        'TooManyEntriesInBatchRequest',
        400,
        'The batch request contains more entries than permissible.',
      );
    }
    const topicArn = this.#existingTopic(params.TopicArn);
    if (prefixes.length === 0) {
      throw new SnsApiError('EmptyBatchRequest', 400, "The batch request doesn't contain any entries.");
    }
    const ids = prefixes.map((prefix) => params[`${prefix}Id`] ?? '');
    if (new Set(ids).size !== ids.length) {
      throw new SnsApiError(
        'BatchEntryIdsNotDistinct',
        400,
        'Two or more batch entries in the request have the same Id.',
      );
    }
    if (ids.some((id) => !/^[A-Za-z0-9_-]{1,80}$/.test(id))) {
      throw new SnsApiError(
        'InvalidBatchEntryId',
        400,
        `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most ${MAX_BATCH_ID_CHARS} letters long.`,
      );
    }
    // One malformed entry fails the whole call (SNS does not report validation problems per entry).
    const entries = prefixes.map((prefix, i) => ({ id: ids[i] ?? '', ...readMessage(params, prefix) }));
    const total = entries.reduce((sum, e) => sum + e.bytes, 0);
    if (total > SNS_MAX_MESSAGE_BYTES) {
      throw new SnsApiError(
        'BatchRequestTooLong',
        400,
        'The length of all the messages put together is more than the limit.',
      );
    }

    const successful: string[] = [];
    const failed: string[] = [];
    for (const entry of entries) {
      const view: SnsBatchEntryView = {
        id: entry.id,
        message: entry.record.message,
        ...(entry.record.subject !== undefined ? { subject: entry.record.subject } : {}),
      };
      const injected = this.#takeEntryFailure(view);
      if (injected) {
        failed.push(
          `<member><Id>${xml(entry.id)}</Id><Code>${xml(injected.code)}</Code>` +
            `<Message>${xml(injected.message ?? `Injected entry failure ${injected.code}`)}</Message>` +
            `<SenderFault>${injected.senderFault}</SenderFault></member>`,
        );
        continue;
      }
      const messageId = randomUUID();
      this.#messages.push({
        action: 'PublishBatch',
        topicArn,
        messageId,
        batchEntryId: entry.id,
        ...entry.record,
      });
      successful.push(`<member><Id>${xml(entry.id)}</Id><MessageId>${messageId}</MessageId></member>`);
    }
    return resultXml(
      'PublishBatch',
      `<Successful>${successful.join('')}</Successful><Failed>${failed.join('')}</Failed>`,
      requestId,
    );
  }

  #createTopicAction(params: QueryParams, requestId: string): PeerReply {
    const name = params.Name ?? '';
    const attributeNames = Object.keys(params).filter((k) => /^Attributes\.entry\.\d+\.Name$/.test(k));
    if (name.endsWith('.fifo') || attributeNames.some((k) => params[k] === 'FifoTopic')) {
      throw invalidParameter('Invalid parameter: Topic Name Reason: LocalSns does not implement FIFO topics');
    }
    if (topicNameProblem(name)) throw invalidParameter('Invalid parameter: Topic Name');
    return resultXml('CreateTopic', `<TopicArn>${xml(this.createTopic(name))}</TopicArn>`, requestId);
  }

  #listTopics(params: QueryParams, requestId: string): PeerReply {
    const start = params.NextToken === undefined ? 0 : Number(params.NextToken);
    if (!Number.isInteger(start) || start < 0 || start > this.#topics.length) {
      throw invalidParameter('Invalid parameter: NextToken');
    }
    const page = this.#topics.slice(start, start + TOPICS_PAGE_SIZE);
    const next =
      start + page.length < this.#topics.length ? `<NextToken>${start + page.length}</NextToken>` : '';
    const members = page.map((arn) => `<member><TopicArn>${xml(arn)}</TopicArn></member>`).join('');
    return resultXml('ListTopics', `<Topics>${members}</Topics>${next}`, requestId);
  }

  #existingTopic(arn: string | undefined): string {
    if (arn === undefined || arn === '') {
      throw invalidParameter(
        'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
      );
    }
    const parts = arn.split(':');
    if (parts.length !== 6 || parts[0] !== 'arn' || parts[2] !== 'sns') {
      throw invalidParameter(
        `Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not ${parts.length}`,
      );
    }
    if (!this.#topics.includes(arn)) throw new SnsApiError('NotFound', 404, 'Topic does not exist');
    return arn;
  }

  #takeEntryFailure(entry: SnsBatchEntryView): SnsEntryFailure | undefined {
    const scheduled = this.#entryFailures.find((f) => f.where === undefined || f.where(entry));
    if (!scheduled) return undefined;
    scheduled.remaining--;
    if (scheduled.remaining === 0) this.#entryFailures = this.#entryFailures.filter((f) => f !== scheduled);
    return scheduled.failure;
  }
}

/** Starts a LocalSns; the CLI-free entry point for tests and harnesses. Call `stop()` when done. */
export async function startLocalSns(options: LocalSnsOptions = {}): Promise<LocalSns> {
  const sns = new LocalSns(options);
  await sns.start();
  return sns;
}

// --- awsQuery request parsing ---------------------------------------------------------------------

/** The flat form parameters of a request: `PublishBatchRequestEntries.member.1.Id` → value. */
type QueryParams = Record<string, string | undefined>;

function parseQuery(request: PeerRequest): QueryParams {
  const params: QueryParams = Object.create(null);
  for (const source of [request.search, request.body]) {
    for (const [key, value] of new URLSearchParams(source)) params[key] = value;
  }
  return params;
}

/**
 * The key prefixes (`Name.member.1.`, `Name.member.2.`, ...) of a serialized list, in index order.
 * The SDK writes an empty list as `Name=` and a list as `Name.member.N.*`.
 */
function listPrefixes(params: QueryParams, name: string): string[] {
  const indexes = new Set<number>();
  const pattern = new RegExp(`^${name.replace(/\./g, '\\.')}\\.member\\.(\\d+)\\.`);
  for (const key of Object.keys(params)) {
    const match = pattern.exec(key);
    if (match?.[1]) indexes.add(Number(match[1]));
  }
  return [...indexes].sort((a, b) => a - b).map((i) => `${name}.member.${i}.`);
}

interface ReadMessage {
  record: Omit<RecordedSnsMessage, 'action' | 'topicArn' | 'messageId' | 'batchEntryId'>;
  /** Body plus attribute names, types and values, in UTF-8 bytes: what the 256 KiB limit counts. */
  bytes: number;
}

/** Reads and validates the message fields under `prefix` ('' for Publish, an entry's prefix for a batch). */
function readMessage(params: QueryParams, prefix: string): ReadMessage {
  const message = params[`${prefix}Message`];
  if (message === undefined || message === '') throw invalidParameter('Invalid parameter: Empty message');
  const subject = params[`${prefix}Subject`];
  if (subject !== undefined) checkSubject(subject);
  const structure = params[`${prefix}MessageStructure`];
  if (structure !== undefined) checkJsonStructure(structure, message);
  if (params[`${prefix}MessageDeduplicationId`] !== undefined) {
    throw invalidParameter(
      'Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type',
    );
  }
  const groupId = params[`${prefix}MessageGroupId`];
  const { attributes, bytes } = readAttributes(params, `${prefix}MessageAttributes`);
  return {
    record: {
      message,
      messageAttributes: attributes,
      ...(subject !== undefined ? { subject } : {}),
      ...(structure !== undefined ? { messageStructure: 'json' as const } : {}),
      ...(groupId !== undefined ? { messageGroupId: groupId } : {}),
    },
    bytes: utf8Bytes(message) + bytes,
  };
}

function checkSubject(subject: string): void {
  const chars = [...subject].length;
  // Control characters include line breaks (C0, DEL and C1 ranges).
  // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting them is the point
  if (chars < 1 || chars > MAX_SUBJECT_CHARS || /[\u0000-\u001f\u007f-\u009f]/.test(subject)) {
    throw invalidParameter('Invalid parameter: Subject');
  }
}

function checkJsonStructure(structure: string, message: string): void {
  if (structure !== 'json') throw invalidParameter('Invalid parameter: MessageStructure');
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalidParameter('Invalid parameter: Message Structure - JSON message body failed to parse');
  }
  // Keys with non-string values are ignored by SNS, so a non-string `default` counts as missing.
  if (
    !parsed ||
    typeof parsed !== 'object' ||
    typeof (parsed as { default?: unknown }).default !== 'string'
  ) {
    throw invalidParameter('Invalid parameter: Message Structure - No default entry in JSON message body');
  }
}

const ATTRIBUTE_TYPE = /^(String|Number|Binary)(\.[^.].*)?$/;
const ATTRIBUTE_NAME_CHARS = /^[A-Za-z0-9_.-]+$/;

function readAttributes(
  params: QueryParams,
  name: string,
): { attributes: Record<string, MessageAttributeValue>; bytes: number } {
  const attributes: Record<string, MessageAttributeValue> = {};
  let bytes = 0;
  for (let i = 1; params[`${name}.entry.${i}.Name`] !== undefined; i++) {
    const at = `${name}.entry.${i}.`;
    const attrName = params[`${at}Name`] ?? '';
    checkAttributeName(attrName);
    const dataType = params[`${at}Value.DataType`];
    if (dataType === undefined || !ATTRIBUTE_TYPE.test(dataType)) {
      throw invalidValue(
        `The message attribute '${attrName}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    const stringValue = params[`${at}Value.StringValue`];
    const binaryValue = params[`${at}Value.BinaryValue`];
    const base = dataType.split('.')[0];
    const field = base === 'Binary' ? binaryValue : stringValue;
    if (field === undefined && (base === 'Binary' ? stringValue : binaryValue) !== undefined) {
      throw invalidValue(
        `The message attribute '${attrName}' with type '${dataType}' must use field '${base === 'Binary' ? 'Binary' : 'String'}'.`,
      );
    }
    if (field === undefined || field === '') {
      throw invalidValue(
        `The message attribute '${attrName}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      );
    }
    if (base === 'Number') checkNumber(attrName, field);
    if (dataType === 'String.Array') checkStringArray(attrName, field);
    const value: MessageAttributeValue =
      base === 'Binary'
        ? { DataType: dataType, BinaryValue: new Uint8Array(Buffer.from(field, 'base64')) }
        : { DataType: dataType, StringValue: field };
    attributes[attrName] = value;
    const valueBytes = base === 'Binary' ? Buffer.from(field, 'base64').byteLength : utf8Bytes(field);
    bytes += utf8Bytes(attrName) + utf8Bytes(dataType) + valueBytes;
  }
  return { attributes, bytes };
}

function checkAttributeName(name: string): void {
  if (name === '') throw invalidValue('The request must contain non-empty message attribute name.');
  if (name.length > MAX_ATTRIBUTE_NAME_CHARS) {
    throw invalidValue('Length of message attribute name must be less than 256 bytes.');
  }
  if (!ATTRIBUTE_NAME_CHARS.test(name)) {
    throw invalidValue(
      'Invalid non-alphanumeric character was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.',
    );
  }
  if (name.startsWith('.'))
    throw invalidValue("Invalid message attribute name starting with character '.' was found.");
  if (name.endsWith('.'))
    throw invalidValue("Invalid message attribute name ending with character '.' was found.");
  if (name.includes('..'))
    throw invalidValue("Message attribute name can not have successive '.' character.");
}

/** SNS numbers: up to 38 significant digits, magnitude between 10^-128 and 10^126 (developer guide). */
function checkNumber(name: string, value: string): void {
  const match = /^[+-]?(\d*)(?:\.(\d*))?(?:[eE][+-]?\d+)?$/.exec(value.trim());
  const digits = `${match?.[1] ?? ''}${match?.[2] ?? ''}`;
  const magnitude = Math.abs(Number(value));
  const significant = digits.replace(/^0+/, '').replace(/0+$/, '');
  if (
    !match ||
    digits === '' ||
    !Number.isFinite(magnitude) ||
    significant.length > 38 ||
    magnitude > 1e126 ||
    (magnitude !== 0 && magnitude < 1e-128)
  ) {
    throw invalidValue(`Could not cast message attribute '${name}' value to number.`);
  }
}

function checkStringArray(name: string, value: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  const simple = (v: unknown) => v === null || ['string', 'number', 'boolean'].includes(typeof v);
  if (!Array.isArray(parsed) || !parsed.every(simple)) {
    throw invalidValue(
      `The message attribute '${name}' with type 'String.Array' must be a JSON array of strings, numbers, booleans or nulls.`,
    );
  }
}

/** Topic names: 1-256 of `A-Za-z0-9_-` (API reference, CreateTopic). */
function topicNameProblem(name: string): string | undefined {
  if (name.endsWith('.fifo')) return 'FIFO topics are not implemented';
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) {
    return 'names are 1-256 characters of letters, digits, hyphens and underscores';
  }
  return undefined;
}

// --- XML answers ----------------------------------------------------------------------------------

function xml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function resultXml(action: SnsAction, inner: string, requestId: string): PeerReply {
  return {
    status: 200,
    contentType: 'text/xml',
    body:
      `<${action}Response xmlns="${XML_NAMESPACE}"><${action}Result>${inner}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

function errorXml(code: string, status: number, message: string, requestId: string): PeerReply {
  return {
    status,
    contentType: 'text/xml',
    body:
      `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${xml(code)}</Code><Message>${xml(message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
