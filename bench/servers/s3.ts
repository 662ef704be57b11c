// The embedded S3 server in a process of its own, so the bench process (which sends the bytes)
// and the S3 server (which receives and stores them) do not share one event loop. Prints its
// endpoint as one JSON line, then serves until SIGTERM.
import { startEmbeddedS3 } from '@shipshape/storage/embedded';

const s3 = await startEmbeddedS3();
console.log(JSON.stringify({ endpoint: s3.endpoint }));
process.once('SIGTERM', () => {
  void s3.stop().then(() => process.exit(0));
});
