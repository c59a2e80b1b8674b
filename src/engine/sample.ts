/** One sample of one check: what the engine decides on, reports, journals and carries in a breach. */
export type SampleResult = 'passed' | 'failed' | 'inconclusive' | 'error';

export interface Sample {
  check: string;
  probe: string;
  value: unknown;
  expect: string | null;
  result: SampleResult;
  /** One human line: "error rate 0.071 is not < 0.05". */
  message: string;
}
