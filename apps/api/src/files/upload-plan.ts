// How a file is cut into parts. S3's limits (Amazon S3 User Guide, "Amazon S3 multipart upload
// limits"): at most 10,000 parts, each at least 5 MiB except the last, at most 5 GiB.
const MiB = 1024 * 1024;
const PREFERRED_PART_SIZE = 8 * MiB;
const MAX_PARTS = 10_000;

export interface UploadPlan {
  partSize: number;
  partCount: number;
}

/** 8 MiB parts, or larger ones, in whole MiB, when 8 MiB would need more than 10,000 parts. */
export function planUpload(size: number): UploadPlan {
  const partSize = Math.max(PREFERRED_PART_SIZE, Math.ceil(size / MAX_PARTS / MiB) * MiB);
  return { partSize, partCount: Math.max(1, Math.ceil(size / partSize)) };
}

/** The exact length of part `partNumber` (1-based): the last one holds what is left. */
export function partLength(size: number, plan: UploadPlan, partNumber: number): number {
  return partNumber < plan.partCount ? plan.partSize : size - plan.partSize * (plan.partCount - 1);
}

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit] ?? ''}`;
}
