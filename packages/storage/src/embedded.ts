// A local S3-compatible server (s3rver, files on disk), so `pnpm dev` and the tests need
// nothing but Node. Local development only: use it with checksumMode 'when_required'.
import { access, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import S3Error from 's3rver/lib/models/error.js';

/** Where an S3 server listens, with the credentials it accepts. */
export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface EmbeddedS3 extends S3Server {
  stop(): Promise<void>;
}

export interface EmbeddedS3Options {
  dataDir?: string;
  port?: number;
  /**
   * Lets pages of these origins PUT upload parts straight into `bucket`, as the bucket CORS rule
   * of deploy/storage/cors.json does in production. The bucket is created at start.
   */
  cors?: { bucket: string; origins: string[] };
}

/**
 * Starts s3rver on 127.0.0.1 (port 0 picks a free one). With a `dataDir` the objects
 * survive restarts; without one they live in a temporary directory removed at stop.
 */
export async function startEmbeddedS3(options: EmbeddedS3Options = {}): Promise<EmbeddedS3> {
  const directory = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'shipshape-s3-')));
  await mkdir(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    directory,
    silent: true,
    configureBuckets: options.cors
      ? [{ name: options.cors.bucket, configs: [corsXml(options.cors.origins)] }]
      : [],
  });
  checkPartsLikeS3(server);
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    // s3rver accepts only these credentials.
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    async stop() {
      await server.close();
      if (!options.dataDir) await rm(directory, { recursive: true, force: true });
    },
  };
}

// s3rver completes a multipart upload from whatever part files it holds, never comparing ETags,
// and a part that was never sent makes it throw outside any handler. S3 answers NoSuchUpload and
// InvalidPart (AWS S3 API reference, CompleteMultipartUpload, "Special errors"); so does this
// check, so that tests of the upload protocol mean here what they mean against S3.
function checkPartsLikeS3(server: S3rver) {
  const { store } = server;
  const assemble = store.putObjectMultipart.bind(store);
  store.putObjectMultipart = async (bucket, uploadId, parts) => {
    const directory = join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
    if (
      !(await access(directory).then(
        () => true,
        () => false,
      ))
    ) {
      throw new S3Error('NoSuchUpload', 'The specified multipart upload does not exist.');
    }
    for (const part of parts) {
      const etag = await readFile(join(directory, `${part.number}.md5`), 'utf8').catch(() => '');
      if (etag !== part.etag) {
        throw new S3Error('InvalidPart', 'One or more of the specified parts could not be found.');
      }
    }
    return assemble(bucket, uploadId, parts);
  };
}

// The rule of deploy/storage/cors.json in the XML that s3rver reads: PUT from the site's origin,
// any request header, and ETag readable by the page (it sends each part's ETag to the API).
function corsXml(origins: string[]): string {
  const allowed = origins.map((origin) => `<AllowedOrigin>${origin}</AllowedOrigin>`).join('');
  return (
    '<CORSConfiguration><CORSRule>' +
    `${allowed}<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>` +
    '<ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3600</MaxAgeSeconds>' +
    '</CORSRule></CORSConfiguration>'
  );
}

/** The environment that points an app process (API or worker) at an embedded S3 server. */
export function embeddedS3Env(s3: S3Server): Record<string, string> {
  return {
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true', // s3rver has no virtual-host bucket addressing
  };
}

/** An embedded S3 server that a test can stop and start again, on the same port, objects kept. */
export interface RestartableS3 {
  /** Where it listens, with the credentials it accepts: spread into StorageOptions. */
  options: S3Server;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its data. */
  remove(): Promise<void>;
}

/** For outage tests: an S3 of the test's own, never the one other tests share. */
export async function startRestartableS3(): Promise<RestartableS3> {
  const dataDir = await mkdtemp(join(tmpdir(), 'shipshape-s3-own-'));
  let server = await startEmbeddedS3({ dataDir });
  const port = Number(new URL(server.endpoint).port);
  let running = true;
  async function stop() {
    if (!running) return;
    running = false;
    await server.stop();
  }
  return {
    options: {
      endpoint: server.endpoint,
      accessKeyId: server.accessKeyId,
      secretAccessKey: server.secretAccessKey,
    },
    stop,
    async start() {
      if (running) return;
      server = await startEmbeddedS3({ dataDir, port });
      running = true;
    },
    async remove() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
