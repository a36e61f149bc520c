/**
 * The safe pickle machine (see ./machine for the API and guarantees), its value types (./values),
 * the standard-library and numpy reconstructors (./builtins) and PyTorch's (./torch).
 *
 * Typical use (plain pickle with torch/numpy objects inside):
 *   const { value, globals } = unpickle(bytes, { reconstructors: torchReconstructors(), label: 'file.pkl' });
 */
export * from './values';
export { unpickle, looksLikePickle, type CallContext, type Reconstructor, type PickleLimits, type UnpickleOptions, type PickleResult } from './machine';
export { builtinReconstructors, numpyReconstructors, NumpyArray, NumpyDTypeValue, pyStringToBytes } from './builtins';
export { torchReconstructors, resolveQuantParams, TorchStorage, TorchTensor, storageDtype, dtypeOfGlobal, type TorchHooks } from './torch';
export { isWeightsOnlySafe } from './allowlist';
