/** What one system did on one task: per phase its wall time and, for the test phases, its answers. */

export interface TestPhase {
  seconds: number;
  /** The answer per test row in test order; null when the system produced none (unparsed, error). */
  predictions: (string | null)[];
}

export interface CompilePhase {
  seconds: number;
  demos: number;
  /** Anything a reader needs to judge the row (a fallback, an optimizer that found no demos). */
  note?: string;
}

export interface SystemRun {
  /** `Kkachi`, `DSPy 3.4.1`, `Ax 24.0.21` */
  system: string;
  optimizer: string;
  /** How it was configured (adapter, options), for the table. */
  how: string;
  /** Proxy meter names of its phases (the zero-shot meter may be shared by two rows of one system). */
  meters: { zeroShot: string; compile: string; optimized: string };
  zeroShot: TestPhase;
  compile: CompilePhase;
  optimized: TestPhase;
}

/** The rows and settings every system of one task gets. */
export interface TaskInput {
  task: string;
  inputs: string[];
  output: string;
  labels: string[] | null;
  train: { inputs: Record<string, string>; output: string; answers: string[] }[];
  test: { inputs: Record<string, string>; output: string; answers: string[] }[];
  maxTokens: number;
  maxDemos: number;
  /** Base URL per phase (proxy meters). */
  urls: { zeroShot: string; compile: string; optimized: string };
  model: string;
  seed: number;
}
