import { deadLetterTopicOf, topicNames, topics } from '../src';

test('every topic name is versioned and its key is a field of its schema', () => {
  for (const name of topicNames) {
    expect(name).toMatch(/^[a-z]+(\.[a-z]+)+\.v\d+$/);
    expect(Object.keys(topics[name].schema.shape)).toContain(topics[name].key);
  }
});

test('dead-letter topics keep the version suffix', () => {
  expect(deadLetterTopicOf('documents.ingest.v1')).toBe('documents.ingest.dlq.v1');
});

test('prompt.version.created.v1 rejects a value without a version number', () => {
  const result = topics['prompt.version.created.v1'].schema.safeParse({
    eventId: '3b241101-e2bb-4255-8caf-4136c566a962',
    occurredAt: new Date().toISOString(),
    promptId: '3b241101-e2bb-4255-8caf-4136c566a962',
    promptName: 'x',
    versionId: '3b241101-e2bb-4255-8caf-4136c566a962',
    author: null,
    commitMessage: '',
  });
  expect(result.success).toBe(false);
  expect(result.error?.issues[0]?.path).toEqual(['version']);
});

test('the fields a topic lists as personal data are text fields of its schema', () => {
  const withPersonalData = topicNames.filter((n) => 'personalData' in topics[n]);
  expect(withPersonalData).toEqual(expect.arrayContaining(['feedback.submitted.v1', 'prompt.version.created.v1']));
  for (const name of withPersonalData) {
    const spec = topics[name] as { schema: { shape: Record<string, unknown> }; personalData: readonly string[] };
    for (const field of spec.personalData) expect(Object.keys(spec.schema.shape)).toContain(field);
  }
});
