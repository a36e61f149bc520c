/**
 * Every file format reader, in detection order: the first whose `detect` accepts the content wins.
 * More specific zip layouts (TorchScript, .pt2) come before the generic torch.save zip.
 * Other helpers add their readers' lines here.
 */
import type { FormatReader } from '../model';
import { torchscriptReader } from './torchscript';
import { torchExportReader } from './torchExport';
import { torchZipReader } from './torchZip';
import { legacyReader } from './torchLegacy';
import { dcpReader } from './dcp';
import { npyReader } from './npy';
import { npzReader } from './npz';
import { safetensorsReader } from './safetensors';
import { onnxReader } from './onnx';
import { plainPickleReader } from './plainPickle';

export const formatReaders: FormatReader[] = [
  dcpReader,
  torchscriptReader,
  torchExportReader,
  torchZipReader,
  legacyReader,
  npyReader,
  npzReader,
  safetensorsReader,
  onnxReader,
  plainPickleReader,
];
