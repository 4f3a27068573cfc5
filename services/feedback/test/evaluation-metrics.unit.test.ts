import {
  citationPrecision,
  cosineSimilarity,
  exactMatch,
  lcsLength,
  parseJudgeScore,
  rougeL,
  tokenize,
} from '../src/domain/evaluation/text-metrics';

describe('ROUGE-L (LCS F-measure over tokens)', () => {
  // Lin (2004), "ROUGE: A Package for Automatic Evaluation of Summaries", section 3.1: with the
  // reference "police killed the gunman", S2 "police kill the gunman" has LCS 3 (R = P = 3/4) and
  // S3 "the gunman kill police" has LCS 2 (R = P = 1/2).
  test('the textbook examples of Lin (2004)', () => {
    expect(rougeL('police kill the gunman', 'police killed the gunman')).toBeCloseTo(0.75, 10);
    expect(rougeL('the gunman kill police', 'police killed the gunman')).toBeCloseTo(0.5, 10);
  });

  test('unequal lengths: the harmonic mean of precision and recall', () => {
    // LCS("the cat was under the bed", "the cat was found under the bed") = 6: P = 6/6, R = 6/7.
    expect(rougeL('the cat was under the bed', 'the cat was found under the bed')).toBeCloseTo(12 / 13, 10);
    expect(rougeL('the cat was found under the bed', 'the cat was under the bed')).toBeCloseTo(12 / 13, 10);
  });

  test('case and punctuation do not count; disjoint and empty texts', () => {
    expect(rougeL('The Gunman, killed!', 'the gunman killed')).toBe(1);
    expect(rougeL('alpha beta', 'gamma delta')).toBe(0);
    expect(rougeL('', 'something')).toBe(0);
    expect(rougeL('  ', '')).toBe(1);
  });

  test('lcsLength and tokenize', () => {
    expect(lcsLength(['a', 'b', 'c', 'b', 'd', 'a', 'b'], ['b', 'd', 'c', 'a', 'b', 'a'])).toBe(4);
    expect(tokenize("Don't stop: 3.5 km/h — naïve")).toEqual(['don', 't', 'stop', '3', '5', 'km', 'h', 'naïve']);
  });
});

test('exact match ignores surrounding whitespace, whitespace runs and case, not punctuation', () => {
  expect(exactMatch('  Paris\n', 'paris')).toBe(1);
  expect(exactMatch('New   York', 'new york')).toBe(1);
  expect(exactMatch('Paris.', 'Paris')).toBe(0);
});

test('cosine similarity', () => {
  expect(cosineSimilarity([1, 0], [1, 0])).toBeCloseTo(1, 12);
  expect(cosineSimilarity([1, 0], [0, 2])).toBeCloseTo(0, 12);
  expect(cosineSimilarity([1, 1], [2, 0])).toBeCloseTo(Math.SQRT1_2, 12);
  expect(cosineSimilarity([0, 0], [1, 0])).toBe(0);
  expect(() => cosineSimilarity([1], [1, 2])).toThrow('length 1 and 2');
});

test('citation precision: cited documents that are relevant, over distinct cited documents', () => {
  expect(citationPrecision(['d1', 'd2', 'd3', 'd4'], ['d1', 'd3', 'd9'])).toBe(0.5);
  expect(citationPrecision(['d1', 'd1', 'd2'], ['d1'])).toBe(0.5);
  expect(citationPrecision(['d1'], ['d1', 'd2'])).toBe(1);
  expect(citationPrecision([], ['d1'])).toBeNull();
});

test('judge scores: the first number within the scale, or null', () => {
  const scale = { min: 1, max: 5 };
  expect(parseJudgeScore('4', scale)).toBe(4);
  expect(parseJudgeScore('Score: 4/5 because it is right', scale)).toBe(4);
  expect(parseJudgeScore('I would say 3.5.', scale)).toBe(3.5);
  expect(parseJudgeScore('10 out of 10... no, 2', scale)).toBe(2);
  expect(parseJudgeScore('excellent answer', scale)).toBeNull();
  expect(parseJudgeScore('7', scale)).toBeNull();
  expect(parseJudgeScore('0.8', { min: 0, max: 1 })).toBe(0.8);
});
