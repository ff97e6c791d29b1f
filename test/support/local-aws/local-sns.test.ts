/**
 * LocalSns against the real `@aws-sdk/client-sns`: the wire protocol round-trips, every documented
 * limit is refused with the exception name the real service gives the SDK, and the fault hooks do
 * exactly what they say.
 */
import {
  CreateTopicCommand,
  ListTopicsCommand,
  type MessageAttributeValue,
  PublishBatchCommand,
  type PublishBatchRequestEntry,
  PublishCommand,
  type PublishCommandInput,
  SNSClient,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type LocalSns, SNS_FAULTS, SNS_MAX_MESSAGE_BYTES, startLocalSns } from './local-sns.ts';
import { rejection } from './rejection.ts';

let sns: LocalSns;
let client: SNSClient;
let topic: string;

beforeAll(async () => {
  sns = await startLocalSns({ topics: ['restore-watch-alerts'] });
  // One attempt: every HTTP call in these tests is one the test made.
  client = new SNSClient({ ...sns.clientConfig(), maxAttempts: 1 });
  topic = sns.topicArns[0] ?? '';
});
afterAll(async () => {
  client.destroy();
  await sns.stop();
});
beforeEach(() => {
  sns.reset();
});

function publish(input: Partial<PublishCommandInput>): Promise<unknown> {
  return client.send(new PublishCommand({ TopicArn: topic, Message: 'hello', ...input }));
}

function entries(count: number, make: (i: number) => Partial<PublishBatchRequestEntry> = () => ({})) {
  return Array.from({ length: count }, (_, i) => ({ Id: `e${i}`, Message: `message ${i}`, ...make(i) }));
}

function publishBatch(list: PublishBatchRequestEntry[]): Promise<unknown> {
  return client.send(new PublishBatchCommand({ TopicArn: topic, PublishBatchRequestEntries: list }));
}

describe('LocalSns Publish', () => {
  it('accepts a message and records topic, subject, structure, attributes and the returned message id', async () => {
    // Prepare
    const attributes: Record<string, MessageAttributeValue> = {
      severity: { DataType: 'String', StringValue: 'critical' },
      tags: { DataType: 'String.Array', StringValue: '["a", 1, true, null]' },
      attempt: { DataType: 'Number', StringValue: '3' },
      raw: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 254]) },
    };
    const message = JSON.stringify({ default: 'plain', email: 'for email' });

    // Act
    const answer = await client.send(
      new PublishCommand({
        TopicArn: topic,
        Subject: '[CRITICAL] orders-prod restore BROKEN',
        Message: message,
        MessageStructure: 'json',
        MessageAttributes: attributes,
      }),
    );

    // Assess
    expect(answer.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sns.messages).toEqual([
      {
        action: 'Publish',
        topicArn: topic,
        messageId: answer.MessageId,
        subject: '[CRITICAL] orders-prod restore BROKEN',
        message,
        messageStructure: 'json',
        messageAttributes: attributes,
      },
    ]);
    expect(sns.callCount('Publish')).toBe(1);
  });

  it('accepts a message of exactly 256 KiB counting the body and the attribute names, types and values', async () => {
    // Prepare: 's' + 'String' + 'x' = 8 bytes of attribute
    const body = 'é'.repeat((SNS_MAX_MESSAGE_BYTES - 8) / 2);

    // Act
    await publish({ Message: body, MessageAttributes: { s: { DataType: 'String', StringValue: 'x' } } });

    // Assess
    expect(sns.messages).toHaveLength(1);
  });

  it('rejects a message one byte over 256 KiB with InvalidParameterException', async () => {
    const error = await rejection(
      publish({
        Message: 'a'.repeat(SNS_MAX_MESSAGE_BYTES - 7),
        MessageAttributes: { s: { DataType: 'String', StringValue: 'x' } },
      }),
    );

    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toBe('Invalid parameter: Message too long');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(sns.messages).toEqual([]);
  });

  it('rejects an empty message with InvalidParameterException', async () => {
    expect((await rejection(publish({ Message: '' }))).name).toBe('InvalidParameterException');
  });

  it.each([
    ['empty', ''],
    ['100 characters', 'x'.repeat(100)],
    ['a line break', 'line one\nline two'],
    ['a carriage return', 'line one\rline two'],
    ['a control character', 'bell\u0007'],
  ])('rejects a subject with %s with InvalidParameterException', async (_, subject) => {
    const error = await rejection(publish({ Subject: subject }));

    expect(error.name).toBe('InvalidParameterException');
    expect(error.message).toBe('Invalid parameter: Subject');
  });

  it('accepts a subject of 99 characters', async () => {
    await publish({ Subject: 'x'.repeat(99) });

    expect(sns.messages[0]?.subject).toHaveLength(99);
  });

  it.each([
    ['a MessageStructure other than json', { MessageStructure: 'xml', Message: '{"default":"x"}' }],
    ['a json structure that does not parse', { MessageStructure: 'json', Message: '{"default":' }],
    ['a json structure without default', { MessageStructure: 'json', Message: '{"email":"x"}' }],
    [
      'a json structure whose default is not a string',
      { MessageStructure: 'json', Message: '{"default":1}' },
    ],
  ])('rejects %s with InvalidParameterException', async (_, input) => {
    expect((await rejection(publish(input))).name).toBe('InvalidParameterException');
  });

  it.each<[string, MessageAttributeValue]>([
    ['an empty String value', { DataType: 'String', StringValue: '' }],
    ['an empty Number value', { DataType: 'Number', StringValue: '' }],
    ['an empty Binary value', { DataType: 'Binary', BinaryValue: new Uint8Array() }],
    ['an unknown type', { DataType: 'Boolean', StringValue: 'true' }],
    ['a Number that is not a number', { DataType: 'Number', StringValue: 'three' }],
    ['a Number with 39 significant digits', { DataType: 'Number', StringValue: '1'.repeat(39) }],
    ['a Number above 10^126', { DataType: 'Number', StringValue: '1e127' }],
    ['a String.Array that is not an array', { DataType: 'String.Array', StringValue: '{"a":1}' }],
    ['a String.Array holding an object', { DataType: 'String.Array', StringValue: '[{"a":1}]' }],
    ['a Binary type sent as a string', { DataType: 'Binary', StringValue: 'abc' }],
  ])('rejects an attribute with %s with InvalidParameterValueException', async (_, value) => {
    const error = await rejection(publish({ MessageAttributes: { attr: value } }));

    expect(error.name).toBe('InvalidParameterValueException');
    expect(sns.messages).toEqual([]);
  });

  it('names the attribute and its type when a String value is empty', async () => {
    const error = await rejection(
      publish({ MessageAttributes: { jobId: { DataType: 'String', StringValue: '' } } }),
    );

    expect(error.message).toBe(
      "The message attribute 'jobId' must contain non-empty message attribute value for message attribute type 'String'.",
    );
  });

  it.each(['.leading', 'trailing.', 'two..dots', 'spa ce', 'x'.repeat(257)])(
    'rejects the attribute name %j with InvalidParameterValueException',
    async (name) => {
      const error = await rejection(
        publish({ MessageAttributes: { [name]: { DataType: 'String', StringValue: 'v' } } }),
      );

      expect(error.name).toBe('InvalidParameterValueException');
    },
  );

  it('accepts custom type labels and a Number with 38 significant digits', async () => {
    const attributes = {
      'count.v2': { DataType: 'Number.int', StringValue: `-${'9'.repeat(38)}` },
      label: { DataType: 'String.custom', StringValue: 'x' },
    };

    await publish({ MessageAttributes: attributes });

    expect(sns.messages[0]?.messageAttributes).toEqual(attributes);
  });

  it('rejects an unknown topic with NotFoundException and a malformed ARN with InvalidParameterException', async () => {
    const unknown = await rejection(publish({ TopicArn: `${topic}-missing` }));
    const malformed = await rejection(publish({ TopicArn: 'restore-watch-alerts' }));

    expect([unknown.name, unknown.message, unknown.$metadata?.httpStatusCode]).toEqual([
      'NotFoundException',
      'Topic does not exist',
      404,
    ]);
    expect(malformed.name).toBe('InvalidParameterException');
  });

  it('rejects MessageDeduplicationId on a standard topic and records a MessageGroupId', async () => {
    const dedup = await rejection(publish({ MessageDeduplicationId: 'd-1' }));
    await publish({ MessageGroupId: 'orders' });

    expect(dedup.name).toBe('InvalidParameterException');
    expect(sns.messages.map((m) => m.messageGroupId)).toEqual(['orders']);
  });
});

describe('LocalSns PublishBatch', () => {
  it('accepts 10 entries and answers each id with the message id it recorded', async () => {
    // Act
    const answer = await client.send(
      new PublishBatchCommand({
        TopicArn: topic,
        PublishBatchRequestEntries: entries(10, (i) => ({
          Subject: `subject ${i}`,
          MessageAttributes: { n: { DataType: 'Number', StringValue: String(i) } },
        })),
      }),
    );

    // Assess
    expect(answer.Failed).toEqual([]);
    expect(answer.Successful?.map((s) => s.Id)).toEqual(entries(10).map((e) => e.Id));
    expect(sns.messages.map((m) => [m.batchEntryId, m.messageId, m.subject, m.message])).toEqual(
      answer.Successful?.map((s, i) => [s.Id, s.MessageId, `subject ${i}`, `message ${i}`]),
    );
    expect(sns.messages.every((m) => m.action === 'PublishBatch' && m.topicArn === topic)).toBe(true);
    expect(sns.messages[3]?.messageAttributes).toEqual({ n: { DataType: 'Number', StringValue: '3' } });
  });

  it('rejects 11 entries with TooManyEntriesInBatchRequestException and records nothing', async () => {
    const error = await rejection(publishBatch(entries(11)));

    expect(error.name).toBe('TooManyEntriesInBatchRequestException');
    expect(sns.messages).toEqual([]);
  });

  it('rejects an empty batch with EmptyBatchRequestException', async () => {
    expect((await rejection(publishBatch([]))).name).toBe('EmptyBatchRequestException');
  });

  it('rejects repeated entry ids with BatchEntryIdsNotDistinctException', async () => {
    const error = await rejection(publishBatch(entries(3, () => ({ Id: 'same' }))));

    expect(error.name).toBe('BatchEntryIdsNotDistinctException');
  });

  it.each(['has space', 'x'.repeat(81), 'dot.ted'])(
    'rejects the entry id %j with InvalidBatchEntryIdException',
    async (id) => {
      expect((await rejection(publishBatch(entries(1, () => ({ Id: id }))))).name).toBe(
        'InvalidBatchEntryIdException',
      );
    },
  );

  it('rejects entries over 256 KiB together with BatchRequestTooLongException', async () => {
    const half = 'a'.repeat(SNS_MAX_MESSAGE_BYTES / 2);
    const error = await rejection(publishBatch(entries(3, () => ({ Message: half }))));

    expect(error.name).toBe('BatchRequestTooLongException');
    expect(sns.messages).toEqual([]);
  });

  it('accepts entries of exactly 256 KiB together', async () => {
    const half = 'a'.repeat(SNS_MAX_MESSAGE_BYTES / 2);

    await publishBatch(entries(2, () => ({ Message: half })));

    expect(sns.messages).toHaveLength(2);
  });

  it('fails the whole call, recording nothing, when one entry is malformed', async () => {
    const list = entries(3, (i) =>
      i === 1 ? { MessageAttributes: { a: { DataType: 'String', StringValue: '' } } } : {},
    );

    const error = await rejection(publishBatch(list));

    expect(error.name).toBe('InvalidParameterValueException');
    expect(sns.messages).toEqual([]);
  });

  it.each([
    ['a bad subject', { Subject: 'two\nlines' }],
    ['a json structure without default', { MessageStructure: 'json', Message: '{"sqs":"x"}' }],
  ])('rejects an entry with %s with InvalidParameterException', async (_, entry) => {
    expect((await rejection(publishBatch(entries(2, (i) => (i === 0 ? entry : {}))))).name).toBe(
      'InvalidParameterException',
    );
  });

  it('rejects an unknown topic with NotFoundException', async () => {
    const error = await rejection(
      client.send(
        new PublishBatchCommand({ TopicArn: `${topic}-missing`, PublishBatchRequestEntries: entries(1) }),
      ),
    );

    expect(error.name).toBe('NotFoundException');
  });
});

describe('LocalSns fault injection', () => {
  it.each([
    ['internalError', 'InternalErrorException', 'server', 500],
    ['throttled', 'ThrottledException', 'client', 429],
    ['authorizationError', 'AuthorizationErrorException', 'client', 403],
    ['kmsAccessDenied', 'KMSAccessDeniedException', 'client', 400],
    ['kmsDisabled', 'KMSDisabledException', 'client', 400],
    ['kmsThrottling', 'KMSThrottlingException', 'client', 400],
    ['kmsNotFound', 'KMSNotFoundException', 'client', 400],
  ] as const)(
    'SNS_FAULTS.%s reaches the SDK as %s (%s fault, HTTP %i)',
    async (fault, name, side, status) => {
      // Prepare
      sns.failNext(SNS_FAULTS[fault]);

      // Act
      const error = await rejection(publishBatch(entries(1)));

      // Assess
      expect([error.name, error.$fault, error.$metadata?.httpStatusCode]).toEqual([name, side, status]);
      expect(sns.messages).toEqual([]);
      expect(sns.callCount('PublishBatch')).toBe(1);
    },
  );

  it('fails exactly the next N calls, then accepts again', async () => {
    sns.failNext(SNS_FAULTS.internalError, { times: 2 });

    const first = await rejection(publish({}));
    const second = await rejection(publish({}));
    await publish({});

    expect([first.name, second.name]).toEqual(['InternalErrorException', 'InternalErrorException']);
    expect(sns.messages).toHaveLength(1);
    expect(sns.pendingFaults()).toBe(0);
  });

  it('limits a fault to one action when asked', async () => {
    sns.failNext(SNS_FAULTS.throttled, { action: 'PublishBatch' });

    await publish({});
    const error = await rejection(publishBatch(entries(1)));

    expect(error.name).toBe('ThrottledException');
    expect(sns.messages.map((m) => m.action)).toEqual(['Publish']);
  });

  it("counts the SDK's own retries as calls: two injected 500s, then success on the third attempt", async () => {
    // Prepare: a client with the SDK's default retry policy
    sns.failNext(SNS_FAULTS.internalError, { times: 2 });
    const retrying = new SNSClient({ ...sns.clientConfig(), maxAttempts: 3 });

    // Act
    const answer = await retrying.send(
      new PublishBatchCommand({ TopicArn: topic, PublishBatchRequestEntries: entries(1) }),
    );
    retrying.destroy();

    // Assess
    expect(answer.$metadata.attempts).toBe(3);
    expect(sns.callCount('PublishBatch')).toBe(3);
    expect(sns.messages).toHaveLength(1);
  });

  it('puts chosen entries into Failed[] inside an HTTP 200 with their code and SenderFault', async () => {
    // Prepare
    sns.failEntries({ code: 'InternalFailure', senderFault: false }, { where: (e) => e.id === 'e1' });
    sns.failEntries(
      { code: 'InvalidParameter', senderFault: true, message: 'bad entry' },
      { where: (e) => e.id === 'e3' },
    );

    // Act
    const answer = await client.send(
      new PublishBatchCommand({ TopicArn: topic, PublishBatchRequestEntries: entries(4) }),
    );

    // Assess
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.Successful?.map((s) => s.Id)).toEqual(['e0', 'e2']);
    expect(answer.Failed).toEqual([
      {
        Id: 'e1',
        Code: 'InternalFailure',
        SenderFault: false,
        Message: 'Injected entry failure InternalFailure',
      },
      { Id: 'e3', Code: 'InvalidParameter', SenderFault: true, Message: 'bad entry' },
    ]);
    expect(sns.messages.map((m) => m.batchEntryId)).toEqual(['e0', 'e2']);
  });

  it('fails the next N entries in arrival order when no entry is chosen', async () => {
    sns.failEntries({ code: 'InternalFailure', senderFault: false }, { times: 3 });

    const first = await client.send(
      new PublishBatchCommand({ TopicArn: topic, PublishBatchRequestEntries: entries(2) }),
    );
    const second = await client.send(
      new PublishBatchCommand({ TopicArn: topic, PublishBatchRequestEntries: entries(2) }),
    );

    expect(first.Failed?.map((f) => f.Id)).toEqual(['e0', 'e1']);
    expect(second.Failed?.map((f) => f.Id)).toEqual(['e0']);
    expect(second.Successful?.map((s) => s.Id)).toEqual(['e1']);
    expect(sns.pendingFaults()).toBe(0);
  });

  it('refuses a request without an Authorization header with MissingAuthenticationToken (403)', async () => {
    const response = await fetch(sns.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `Action=Publish&Version=2010-03-31&TopicArn=${encodeURIComponent(topic)}&Message=x`,
    });

    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>MissingAuthenticationToken</Code>');
    expect(sns.messages).toEqual([]);
  });
});

describe('LocalSns topics and unknown actions', () => {
  it('creates topics idempotently and lists them 100 a page', async () => {
    // Prepare
    const local = await startLocalSns();
    const sdk = new SNSClient({ ...local.clientConfig(), maxAttempts: 1 });
    const first = await sdk.send(new CreateTopicCommand({ Name: 'topic-0' }));
    const again = await sdk.send(new CreateTopicCommand({ Name: 'topic-0' }));
    for (let i = 1; i < 101; i++) local.createTopic(`topic-${i}`);

    // Act
    const page1 = await sdk.send(new ListTopicsCommand({}));
    const page2 = await sdk.send(new ListTopicsCommand({ NextToken: page1.NextToken }));
    sdk.destroy();
    await local.stop();

    // Assess
    expect(first.TopicArn).toBe('arn:aws:sns:us-east-1:123456789012:topic-0');
    expect(again.TopicArn).toBe(first.TopicArn);
    expect(page1.Topics).toHaveLength(100);
    expect(page2.Topics?.map((t) => t.TopicArn)).toEqual(['arn:aws:sns:us-east-1:123456789012:topic-100']);
    expect(page2.NextToken).toBeUndefined();
  });

  it('rejects a topic name SNS would refuse with InvalidParameterException', async () => {
    expect((await rejection(client.send(new CreateTopicCommand({ Name: 'bad name' })))).name).toBe(
      'InvalidParameterException',
    );
  });

  it('answers an unknown action with InvalidAction (400) and counts it', async () => {
    const response = await fetch(sns.url, {
      method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=x',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'Action=Subscribe&Version=2010-03-31',
    });

    expect(response.status).toBe(400);
    expect(await response.text()).toContain('<Code>InvalidAction</Code>');
    expect(sns.callCounts().get('Subscribe')).toBe(1);
  });

  it('keeps two peers apart: calls and messages of one never show in the other', async () => {
    const other = await startLocalSns({ topics: ['restore-watch-alerts'] });
    const sdk = new SNSClient({ ...other.clientConfig(), maxAttempts: 1 });

    await sdk.send(new PublishCommand({ TopicArn: topic, Message: 'to the other peer' }));
    sdk.destroy();
    await other.stop();

    expect(other.messages).toHaveLength(1);
    expect(sns.messages).toEqual([]);
    expect(sns.callCount('Publish')).toBe(0);
  });

  it('is found through AWS_ENDPOINT_URL_SNS, as a child process given env() would find it', async () => {
    // Prepare: a client configured by the environment only
    for (const [name, value] of Object.entries(sns.env())) vi.stubEnv(name, value);
    const fromEnv = new SNSClient({ maxAttempts: 1 });

    // Act
    await fromEnv.send(new PublishCommand({ TopicArn: topic, Message: 'via env' }));
    fromEnv.destroy();
    vi.unstubAllEnvs();

    // Assess
    expect(sns.messages.map((m) => m.message)).toEqual(['via env']);
  });
});
