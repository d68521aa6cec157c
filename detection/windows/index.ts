/** Window tests against a reference window: batch functions, each returning statistic, score and drift flag. */
export * from './common';
export { klTest, klDivergence, type KlOptions } from './kl';
export { psiTest, type PsiOptions } from './psi';
export { ksTest, ksStatistic, type KsOptions } from './ks';
export { chiSquareTest, type Categorical, type ChiSquareOptions, type ChiSquareResult } from './chi-square';
export { jensenShannonTest, jsDivergence, type JsOptions } from './jensen-shannon';
export { wassersteinTest, wasserstein1, type WassersteinOptions } from './wasserstein';
export { WindowTestDetector, type BatchTest, type WindowDetectorOptions } from './streaming';
