import { consumerLag } from '../src/kafka/consumer-lag';

const watermarks = [
  { partition: 0, low: '0', high: '10' },
  { partition: 1, low: '5', high: '8' },
  { partition: 2, low: '0', high: '0' },
];

test('sums each partition from its committed offset to its high watermark', () => {
  expect(consumerLag(watermarks, [{ partition: 0, offset: '7' }, { partition: 1, offset: '8' }, { partition: 2, offset: '0' }], true)).toBe(3);
});

test('a partition the group has not committed on counts from the oldest message, or not at all for a group that starts at the end', () => {
  const none = [{ partition: 0, offset: '-1' }];
  expect(consumerLag(watermarks, none, true)).toBe(10 + 3);
  expect(consumerLag(watermarks, none, false)).toBe(0);
});

test('a committed offset below the low watermark (retention deleted the messages) counts from the low watermark', () => {
  expect(consumerLag([{ partition: 0, low: '100', high: '120' }], [{ partition: 0, offset: '3' }], true)).toBe(20);
});
