import { sampleValue } from '../src/metrics-scrape';

const exposition = [
  '# HELP feedback_submitted_total Feedback submitted.',
  '# TYPE feedback_submitted_total counter',
  'feedback_submitted_total{service="feedback",kind="thumbs",outcome="accepted"} 3',
  'feedback_submitted_total{service="feedback",kind="score",outcome="accepted"} 12',
  'feedback_score_count{service="feedback",prompt="a \\"quoted\\", name"} 2',
  'up 1',
].join('\n');

test('reads the sample whose labels match, whatever its number of digits', () => {
  expect(sampleValue(exposition, 'feedback_submitted_total', { kind: 'score', outcome: 'accepted' })).toBe(12);
  expect(sampleValue(exposition, 'feedback_submitted_total', { kind: 'thumbs' })).toBe(3);
});

test('label values with quotes and commas are compared unescaped', () => {
  expect(sampleValue(exposition, 'feedback_score_count', { prompt: 'a "quoted", name' })).toBe(2);
});

test('a sample without labels, and a missing one, which counts as 0', () => {
  expect(sampleValue(exposition, 'up')).toBe(1);
  expect(sampleValue(exposition, 'feedback_submitted_total', { kind: 'score', outcome: 'rejected' })).toBe(0);
  expect(sampleValue(exposition, 'feedback_submitted')).toBe(0);
});
