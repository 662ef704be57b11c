// Reads the guide's pages as `pnpm test:guide` runs them. The conventions, which the pages
// follow and docs/guide/README.md explains to readers:
// - ```sh blocks are commands to type, run in order; ```console and ```text blocks show what
//   a real run printed and are never run.
// - `# → text` under a command is what it prints: each such line must match a line of its
//   output (`…` stands for anything). The command is retried until it does, for a while: a
//   server that is still starting is not a failure yet.
// - A command whose comment says `# keeps running` runs until Ctrl-C (`pnpm dev`, `docker compose
//   up`): it is started in the background, and the commands after it go to a second terminal.
// - A comment line `# Ctrl-C …` stops the last command that keeps running; `# →` lines after it
//   are what that command printed while it stopped.

export type Step =
  | { kind: 'run'; script: string; expect: string[] }
  | { kind: 'keeps-running'; script: string }
  | { kind: 'ctrl-c'; expect: string[] };

/** The ```sh blocks of a page, in order. */
export function shellBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  for (const match of markdown.matchAll(/^```(\w*)[^\n]*\n([\s\S]*?)^```$/gm)) {
    if (match[1] === 'sh') blocks.push(match[2] ?? '');
  }
  return blocks;
}

/** The steps of one ```sh block: commands, each with the output lines it must print. */
export function blockSteps(block: string): Step[] {
  const steps: Step[] = [];
  let lines: string[] = [];
  let last: Step | undefined;
  const flush = () => {
    if (lines.some((line) => line.trim() !== '' && !line.trimStart().startsWith('#'))) {
      last = { kind: 'run', script: lines.join('\n'), expect: [] };
      steps.push(last);
    }
    lines = [];
  };
  for (const line of block.split('\n')) {
    const expected = /^# → (.*)$/.exec(line);
    if (expected) {
      flush();
      if (!last || last.kind === 'keeps-running')
        throw new Error(`"${line}" follows no command it could be the output of`);
      last.expect.push(expected[1] ?? '');
    } else if (/^# Ctrl-C\b/.test(line)) {
      flush();
      last = { kind: 'ctrl-c', expect: [] };
      steps.push(last);
    } else if (/\s# keeps running\b/.test(line)) {
      flush();
      last = { kind: 'keeps-running', script: line };
      steps.push(last);
    } else {
      lines.push(line);
    }
  }
  flush();
  return steps;
}

/** Every expected line matches some line of the output; `…` matches anything. */
export function missingLines(output: string, expect: string[]): string[] {
  const lines = output.split('\n');
  return expect.filter((expected) => {
    const pattern = new RegExp(expected.split('…').map(escapeRegExp).join('.*'));
    return !lines.some((line) => pattern.test(line));
  });
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
