// autocannon in a process of its own, as wrk would be: the load it makes does not share an event
// loop with the bench, which reads Caddy's log and samples memory meanwhile. Takes its settings
// as one JSON argument, prints `started` as the load begins and autocannon's result as one
// JSON line once it ends.
import autocannon from 'autocannon';

const { url, connections, seconds, headers } = JSON.parse(process.argv[2] ?? '{}') as {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
};
// The parent starts counting CPU here, not when this process started: loading tsx and autocannon
// takes a good part of a second, during which the server has nothing to do.
console.log('started');
const result = await autocannon({ url, connections, duration: seconds, headers });
console.log(JSON.stringify(result));
