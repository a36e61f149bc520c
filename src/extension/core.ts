/** The real core behind the inspector: H1's reader entry point, H2's statistics (worker threads) and slices. */
import type { CoreApi } from './inspectorController';
import { openCheckpoint } from '../core/open';
import { computeStats } from '../core/stats/index';
import { readSlice } from '../core/values';

export const realCore: CoreApi = {
  open: (path, signal) => openCheckpoint(path, { signal }),
  stats: (tensor, options) => computeStats(tensor, options),
  slice: async (tensor, expr, maxElements, signal) => {
    const r = await readSlice(tensor, expr, maxElements, { signal });
    return { shape: r.shape, values: r.values, truncated: r.truncated, total: r.total };
  },
};
