// Express asks `trust proxy` about the same addresses several times per request: for req.ip
// (the access log, the throttles) and for req.secure (HSTS, the session cookie), and each
// answer parses the address again (proxy-addr, ipaddr.js). The answer for an address at a given
// hop never changes, so it is remembered: a few thousand addresses at most, forgotten all at
// once when there are more.
import type { Express } from 'express';

type Trust = (address: string, hop: number) => boolean;

const REMEMBERED = 4_096;

/** Sets Express's `trust proxy` to `setting`, answering each address and hop from memory. */
export function trustProxy(app: Express, setting: unknown): void {
  app.set('trust proxy', setting);
  // Express compiled the setting (proxy-addr's compile): that function answers the first time.
  const trusts = app.get('trust proxy fn') as Trust;
  const answers = new Map<string, boolean>();
  app.set('trust proxy', (address: string, hop: number) => {
    const key = `${hop} ${address}`;
    let answer = answers.get(key);
    if (answer === undefined) {
      if (answers.size >= REMEMBERED) answers.clear();
      answer = trusts(address, hop);
      answers.set(key, answer);
    }
    return answer;
  });
}
