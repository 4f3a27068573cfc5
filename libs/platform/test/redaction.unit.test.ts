// REDACT_PII: the masking rules (with their checksums and the look-alikes they must leave alone),
// and the three places they apply: pino log lines, events' personal fields, span attributes.
import { Writable } from 'node:stream';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createLogger, encodeEvent, findPii, ibanValid, luhnValid, redactPii, redactPiiDeep, setPiiRedaction } from '../src';
import { RedactingSpanProcessor } from '../src/tracing-redaction';

describe('redactPii', () => {
  test.each([
    ['mail me at ada.lovelace+work@example.co.uk please', 'mail me at [email] please'],
    ['ADA@EXAMPLE.ORG', '[email]'],
    ['card 4111 1111 1111 1111 exp 12/29', 'card [card] exp 12/29'],
    ['card 4111-1111-1111-1111.', 'card [card].'],
    ['card 4111111111111111', 'card [card]'],
    ['amex 3782 822463 10005', 'amex [card]'],
    ['IBAN DE89 3704 0044 0532 0130 00 for the refund', 'IBAN [iban] for the refund'],
    ['GB82WEST12345698765432', '[iban]'],
    ['from 203.0.113.195:443 and 10.0.0.7', 'from [ip]:443 and [ip]'],
    ['call +44 20 7946 0958 or +1 (555) 123-4567', 'call [phone] or [phone]'],
    ['office (030) 1234567, mobile 0170-1234567', 'office [phone], mobile [phone]'],
    ['us 555-123-4567 and 555.123.4567', 'us [phone] and [phone]'],
  ])('%s', (input, expected) => {
    expect(redactPii(input)).toBe(expected);
  });

  test.each([
    ['a card-shaped number that fails the Luhn check', 'order 4111 1111 1111 1112'],
    ['an IBAN-shaped string that fails mod 97', 'DE89 3704 0044 0532 0130 02'],
    ['a UUID', 'generation 3b241101-e2bb-4255-8caf-4136c566a962 and 12345678-1234-1234-1234-123456789012'],
    ['a trace id', 'trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7'],
    ['dates and times', '2026-01-02T10:11:12.345Z, 2026-01-02 10:11'],
    ['loopback and unspecified addresses', 'listening on 127.0.0.1:4000 and 0.0.0.0:9090'],
    ['plain numbers and counts', 'processed 1234567 of 99999999 rows in 1500 ms, version 1.2.3'],
    ['a short text', 'a@b'],
  ])('leaves %s alone', (_what, text) => {
    expect(redactPii(text)).toBe(text);
  });

  test('checksums', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE88370400440532013000')).toBe(false);
  });

  test('an IBAN followed by more capitals is still found', () => {
    expect(redactPii('DE89 3704 0044 0532 0130 00 OK')).toBe('[iban] OK');
  });

  test('findPii names the kinds found', () => {
    expect(findPii('x@example.com, 4111111111111111, 192.168.1.20, +49 30 1234567').sort()).toEqual(['card', 'email', 'ipv4', 'phone']);
    expect(findPii('nothing here')).toEqual([]);
  });

  test('redactPiiDeep masks strings in objects, arrays and errors, keeps keys and other values', () => {
    const err = new TypeError('bad address ada@example.com');
    const out = redactPiiDeep({ 'ada@example.com': 1, list: ['ip 8.8.8.8', 3, null], nested: { err }, when: new Date(0) });
    expect(out).toEqual({ 'ada@example.com': 1, list: ['ip [ip]', 3, null], nested: { err: expect.any(TypeError) }, when: new Date(0) });
    expect(out.nested.err.message).toBe('bad address [email]');
    expect(out.nested.err.stack).not.toContain('ada@example.com');
    expect(err.message).toBe('bad address ada@example.com');
  });

  test('redactPiiDeep masks a value met twice in every place, and cycles end', () => {
    const input = { user: 'ada@example.com' };
    const out = redactPiiDeep({ input, retried: input, list: [input] });
    expect(out).toEqual({ input: { user: '[email]' }, retried: { user: '[email]' }, list: [{ user: '[email]' }] });
    expect(out.retried).toBe(out.input);
    const cyclic: Record<string, unknown> = { mail: 'bob@example.org' };
    cyclic.self = cyclic;
    const masked = redactPiiDeep(cyclic);
    expect(masked).toMatchObject({ mail: '[email]' });
    expect(masked.self).toBe(masked);
    expect(cyclic.mail).toBe('bob@example.org');
  });

  test("redactPiiDeep masks an error's cause, set as a plain property or as an option", () => {
    const plain = new Error('outer') as Error & { cause?: unknown };
    plain.cause = { to: 'ada@example.com' };
    const optioned = new Error('outer', { cause: new Error('inner 203.0.113.9') });
    const outPlain = redactPiiDeep(plain);
    expect(outPlain.cause).toEqual({ to: '[email]' });
    expect(Object.keys(outPlain)).toEqual(['cause']);
    const outOptioned = redactPiiDeep(optioned);
    expect((outOptioned.cause as Error).message).toBe('inner [ip]');
    expect(Object.keys(outOptioned)).toEqual([]);
  });
});

function capture(): { stream: Writable; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join(''), lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  test('with redactPii, messages, interpolated values, merged objects and errors are masked', () => {
    const out = capture();
    const logger = createLogger('test', 'info', { redactPii: true, destination: out.stream }).child({ component: 'c' });
    logger.info({ client: '203.0.113.9' }, 'request');
    logger.info({ comment: 'write to ada@example.com', nested: { card: '4111 1111 1111 1111' } }, 'feedback from %s', 'bob@example.org');
    logger.error(new Error('cannot reach 198.51.100.4'));
    logger.warn('phone +44 20 7946 0958');
    const text = out.text();
    for (const secret of ['ada@example.com', 'bob@example.org', '4111 1111 1111 1111', '198.51.100.4', '203.0.113.9', '7946 0958']) expect(text).not.toContain(secret);
    const [request, first, second, third] = out.lines();
    expect(request).toMatchObject({ component: 'c', client: '[ip]' });
    expect(first).toMatchObject({ comment: 'write to [email]', nested: { card: '[card]' }, msg: 'feedback from [email]' });
    expect(second).toMatchObject({ msg: 'cannot reach [ip]', err: { type: 'Error', message: 'cannot reach [ip]' } });
    expect(third).toMatchObject({ msg: 'phone [phone]' });
  });

  test('with redactPii, an object logged twice in one call is masked both times', () => {
    const out = capture();
    const logger = createLogger('test', 'info', { redactPii: true, destination: out.stream });
    const input = { email: 'ada@example.com' };
    logger.info({ input, retried: input }, 'retrying');
    expect(out.text()).not.toContain('ada@example.com');
    expect(out.lines()[0]).toMatchObject({ input: { email: '[email]' }, retried: { email: '[email]' } });
  });

  test('without it (the default), nothing is masked', () => {
    const out = capture();
    createLogger('test', 'info', { destination: out.stream }).info({ comment: 'ada@example.com' }, 'from 203.0.113.9');
    expect(out.lines()[0]).toMatchObject({ comment: 'ada@example.com', msg: 'from 203.0.113.9' });
  });
});

describe('events', () => {
  const input = {
    projectId: 'acme',
    feedbackId: '3b241101-e2bb-4255-8caf-4136c566a962',
    generationId: '3b241101-e2bb-4255-8caf-4136c566a963',
    promptVersionId: null,
    promptName: 'support/answer',
    score: 4,
    thumbs: null as 'UP' | 'DOWN' | null,
    comment: 'reach me at ada@example.com or +44 20 7946 0958',
    labels: ['ip 203.0.113.9'],
    user: 'ada@example.com',
  };
  afterEach(() => setPiiRedaction(false));

  test('with redaction on, the personal fields of an event are masked, the others kept', () => {
    setPiiRedaction(true);
    const value = JSON.parse(encodeEvent('feedback.submitted.v1', input, {}).value) as Record<string, unknown>;
    expect(value).toMatchObject({ comment: 'reach me at [email] or [phone]', labels: ['ip [ip]'], user: '[email]', promptName: 'support/answer', feedbackId: input.feedbackId });
  });

  test('with it off (the default), events are published as given', () => {
    const value = JSON.parse(encodeEvent('feedback.submitted.v1', input, {}).value) as Record<string, unknown>;
    expect(value).toMatchObject({ comment: input.comment, user: input.user });
  });
});

describe('spans', () => {
  test('the redacting processor masks attributes, event attributes and the status message before export', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor(exporter)] });
    const span = provider.getTracer('t').startSpan('submit', { attributes: { 'user.email': 'ada@example.com', count: 3, list: ['8.8.8.8', 'ok'] } });
    span.recordException(new Error('no route to 203.0.113.9'));
    span.setStatus({ code: 2, message: 'card 4111 1111 1111 1111 refused' });
    span.end();
    await provider.forceFlush();
    const [done] = exporter.getFinishedSpans();
    expect(done!.attributes).toEqual({ 'user.email': '[email]', count: 3, list: ['[ip]', 'ok'] });
    expect(done!.events[0]!.attributes?.['exception.message']).toBe('no route to [ip]');
    expect(done!.status.message).toBe('card [card] refused');
    await provider.shutdown();
  });

  test('personal data in percent-encoded query strings (as the HTTP instrumentation records them) is masked', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new RedactingSpanProcessor(), new SimpleSpanProcessor(exporter)] });
    // What @opentelemetry/instrumentation-http stores: URLSearchParams#toString (`@` is `%40`, a space `+`).
    const graphql = new URLSearchParams({ query: 'query($v: String) { a(v: $v) }', variables: JSON.stringify({ email: 'ada@example.com', ip: '203.0.113.9' }) }).toString();
    const stream = new URLSearchParams({ input: 'call me on +44 20 7946 0958', model: 'smollm2' }).toString();
    expect(graphql).toContain('ada%40example.com');
    const span = provider.getTracer('t').startSpan('GET', {
      attributes: {
        'url.query': graphql,
        'url.full': `http://gateway:4000/v1/generate/stream?${stream}`,
        'url.path': '/users/bob%40example.org/profile',
        plain: '100%25 of a+b',
      },
    });
    span.end();
    await provider.forceFlush();
    const [done] = exporter.getFinishedSpans();
    const attributes = done!.attributes as Record<string, string>;
    for (const value of Object.values(attributes)) {
      const decoded = decodeURIComponent(value.replace(/\+/g, ' '));
      for (const secret of ['ada@example.com', '203.0.113.9', '7946 0958', 'bob@example.org']) expect(decoded).not.toContain(secret);
    }
    // Still a query string: the other parameters are kept, the masked ones read as placeholders.
    const query = new URLSearchParams(attributes['url.query']);
    expect(query.get('query')).toBe('query($v: String) { a(v: $v) }');
    expect(JSON.parse(query.get('variables')!)).toEqual({ email: '[email]', ip: '[ip]' });
    const full = new URL(attributes['url.full']!);
    expect(full.pathname).toBe('/v1/generate/stream');
    expect(full.searchParams.get('input')).toBe('call me on [phone]');
    expect(full.searchParams.get('model')).toBe('smollm2');
    expect(decodeURIComponent(attributes['url.path']!)).toBe('/users/[email]/profile');
    expect(attributes.plain).toBe('100%25 of a+b');
    await provider.shutdown();
  });
});
