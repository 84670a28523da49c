import { listPackages, packageView, requirePackage, storePackage } from '../../app/packages.js';
import { validationError } from '../../../platform/core/errors.js';
import type { RouteHandler } from '../../../platform/api/http.js';
import { binaryBody } from './http-helpers.js';

/** Uploads a signed package file into the package store (no install). `?source=catalog` publishes it to Check for Updates. */
export const uploadPackageHandler: RouteHandler = async (c) => {
  const source = c.req.query('source') ?? 'upload';
  if (source !== 'upload' && source !== 'catalog') throw validationError('InvalidRequest', 'source must be upload or catalog');
  const { body, contentLength } = binaryBody(c);
  const { record, created } = await storePackage(c.get('services'), body, { source, contentLength });
  return c.json(packageView(record), created ? 201 : 200, { Location: `/packages/${record.packageId}` });
};

export const listPackagesHandler: RouteHandler = async (c) => c.json({ packages: (await listPackages(c.get('services'))).map(packageView) });

/** `?verify=file`: also whether the package file is in the bucket, and its size (a window's preflight asks). */
export const getPackageHandler: RouteHandler = async (c) => {
  const services = c.get('services');
  const verify = c.req.query('verify');
  if (verify !== undefined && verify !== 'file') throw validationError('InvalidRequest', 'verify must be file');
  const record = await requirePackage(services, c.req.param('packageId')!);
  if (!verify) return c.json(packageView(record));
  const object = await services.blobs.packages.head(record.objectKey);
  return c.json({ ...packageView(record), file: object ? { stored: true, size: object.size } : { stored: false } });
};
