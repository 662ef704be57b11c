// Every image from outside this repository that a deployment file names is pinned to a tag its
// upstream publishes: the tag is listed in deploy/images.yaml, and that file's `published` list
// (copied from the upstream's own source, named in `evidence`) contains it. Shipshape's own
// images are left to tags.ts, which compares them with what CI pushes.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parse,
  type Node,
} from 'yaml';
import { judge, type CheckResult } from '../check-result';

export interface ImageReference {
  /** file:line */
  where: string;
  ref: string;
}

interface Pin {
  tags: string[];
  published: string[];
  evidence: string;
}

const pinFile = 'deploy/images.yaml';

export function checkImages(root = join(import.meta.dirname, '..', '..')): CheckResult[] {
  const pins = readFileSync(join(root, pinFile), 'utf8');
  return [
    judge(
      `image pins: every image a deployment file names is in ${pinFile} with a tag its upstream publishes`,
      pinProblems(pins, imageReferences(root)),
    ),
  ];
}

/** A Shipshape image: built here, so its tags are CI's business (tags.ts). */
export function isOwnImage(ref: string): boolean {
  const repository = (ref.split('@')[0] ?? '').replace(/:[^/]*$/, '');
  return /^shipshape(-|$)/.test(repository.split('/').at(-1) ?? '');
}

/** `postgres:17` → { image: 'postgres', tag: '17' }; docker.io/library/ is dropped. */
export function splitReference(ref: string): { image: string; tag: string | undefined } {
  const at = ref.indexOf('@');
  const named = at < 0 ? ref : ref.slice(0, at);
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  const image = (hasTag ? named.slice(0, colon) : named).replace(
    /^(docker\.io\/)?(library\/)?/,
    '',
  );
  const tag = at >= 0 ? ref.slice(at + 1) : hasTag ? named.slice(colon + 1) : undefined;
  return { image, tag };
}

export function pinProblems(pinText: string, references: ImageReference[]): string[] {
  const problems: string[] = [];
  let pins: Record<string, Partial<Pin> | null>;
  try {
    pins = (parse(pinText) ?? {}) as Record<string, Partial<Pin> | null>;
  } catch (error) {
    return [`${pinFile}: ${(error as Error).message}`];
  }
  const used = new Map<string, Set<string>>();
  for (const { where, ref } of references) {
    if (isOwnImage(ref)) continue;
    if (ref.includes('$')) {
      problems.push(`${where}: ${ref} is named by a variable; name the image and its tag`);
      continue;
    }
    const { image, tag } = splitReference(ref);
    if (!tag || tag === 'latest') {
      problems.push(`${where}: ${ref} has no tag or is latest; pin a tag listed in ${pinFile}`);
      continue;
    }
    used.set(image, (used.get(image) ?? new Set()).add(tag));
    const pin = pins[image];
    if (!pin) problems.push(`${where}: ${image} is not in ${pinFile}; add it with its evidence`);
    else if (!strings(pin.tags).includes(tag)) {
      problems.push(
        `${where}: ${image}:${tag} is not among the tags ${pinFile} lists for ${image}`,
      );
    }
  }
  for (const [image, pin] of Object.entries(pins)) {
    const tags = strings(pin?.tags);
    const published = strings(pin?.published);
    if (typeof pin?.evidence !== 'string' || pin.evidence.trim() === '') {
      problems.push(
        `${pinFile}: ${image} has no evidence (the upstream file or release that publishes its tags)`,
      );
    }
    for (const tag of tags) {
      if (!published.includes(tag)) {
        problems.push(
          `${pinFile}: ${image}:${tag} is not a tag the upstream publishes (see its published list and evidence)`,
        );
      }
      if (!used.get(image)?.has(tag))
        problems.push(`${pinFile}: ${image}:${tag} is named by no file; remove it`);
    }
  }
  return problems;
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

/** Every image reference in the deployment files, with where it is. */
export function imageReferences(root: string): ImageReference[] {
  const exists = (path: string) => existsSync(join(root, path));
  const yamlFiles = [
    ...['docker-compose.yml', 'docker-compose.prod.yml', 'render.yaml'].filter(exists),
    ...listFiles(root, '.github/workflows', /\.ya?ml$/),
    ...listFiles(root, 'infra/k8s', /\.ya?ml$/),
    // Compose files beside the scripts (the VPS's front Caddy, the test stand-ins).
    ...listFiles(root, 'deploy', /\.ya?ml$/).filter((path) => path !== pinFile),
    ...listFiles(root, 'test', /\.ya?ml$/),
  ];
  // Every Dockerfile, the test stand-ins' too: .ci/run builds them on a fresh machine.
  const dockerfiles = readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((path) => /(^|\/)(Dockerfile|Containerfile)[^/]*$/.test(path))
    .filter((path) => !/(^|\/)(node_modules|\.git)\//.test(path))
    .sort();
  return [
    ...yamlFiles.flatMap((path) => yamlReferences(path, readFileSync(join(root, path), 'utf8'))),
    ...dockerfiles.flatMap((path) =>
      dockerfileReferences(path, readFileSync(join(root, path), 'utf8')),
    ),
    ...(exists('.railway/railway.ts')
      ? railwayReferences(
          '.railway/railway.ts',
          readFileSync(join(root, '.railway/railway.ts'), 'utf8'),
        )
      : []),
  ];
}

export function listFiles(root: string, folder: string, pattern: RegExp): string[] {
  if (!existsSync(join(root, folder))) return [];
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((path) => pattern.test(path))
    .sort()
    .map((path) => `${folder}/${path}`);
}

/**
 * `image:` (compose, Kubernetes, workflow services), `image: { url }` (Render), a workflow's
 * `container:` and `uses: docker://`, and a kustomization's images (newName with newTag).
 */
export function yamlReferences(path: string, text: string): ImageReference[] {
  const lines = new LineCounter();
  const found: ImageReference[] = [];
  const at = (node: Node) => `${path}:${lines.linePos(node.range?.[0] ?? 0).line}`;
  const visit = (node: unknown, keys: string[]): void => {
    if (isSeq(node)) node.items.forEach((item) => visit(item, [...keys, '#']));
    if (!isMap(node)) return;
    if (keys.at(-1) === '#' && keys.at(-2) === 'images' && node.has('newName')) {
      const name = String(node.get('newName'));
      const tag = [node.get('digest'), node.get('newTag')].find((v) => typeof v === 'string');
      found.push({
        where: at(node),
        ref: tag ? `${name}${node.has('digest') ? '@' : ':'}${tag}` : name,
      });
      return;
    }
    for (const pair of node.items) {
      if (!isPair(pair) || !isScalar(pair.key)) continue;
      const key = String(pair.key.value);
      const value = pair.value;
      if (isScalar(value) && typeof value.value === 'string') {
        const ref = value.value;
        const isImage =
          (key === 'image' && !keys.includes('matrix')) ||
          (key === 'url' && keys.at(-1) === 'image') ||
          (key === 'container' && keys.at(-2) === 'jobs') ||
          (key === 'uses' && ref.startsWith('docker://'));
        if (isImage) found.push({ where: at(value), ref: ref.replace(/^docker:\/\//, '') });
      } else {
        visit(value, [...keys, key]);
      }
    }
  };
  for (const doc of parseAllDocuments(text, { lineCounter: lines })) {
    if ('contents' in doc) visit(doc.contents, []);
  }
  return found;
}

/** FROM lines, and the defaults of ARGs that FROM uses (ARG NODE_IMAGE=node:24-bookworm-slim). */
export function dockerfileReferences(path: string, text: string): ImageReference[] {
  const found: ImageReference[] = [];
  const args = new Map<string, ImageReference>();
  const stages = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const where = `${path}:${index + 1}`;
    const arg = /^\s*ARG\s+(\w+)=(\S+)/i.exec(line);
    if (arg) {
      const [, name = '', raw = ''] = arg;
      const value = raw.replace(/^["']|["']$/g, '');
      args.set(name, { where, ref: value });
      if (/IMAGE$/.test(name)) found.push({ where, ref: value });
    }
    const from = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) return;
    const [, image = '', stage] = from;
    const variable = /^\$\{?(\w+)\}?$/.exec(image)?.[1];
    const value = variable ? args.get(variable) : undefined;
    if (variable && !value)
      found.push({ where, ref: image }); // no ARG default names it
    else if (value && variable && !/IMAGE$/.test(variable)) found.push(value);
    else if (!variable && !stages.has(image) && image !== 'scratch')
      found.push({ where, ref: image });
    if (stage) stages.add(stage);
  });
  return found;
}

/** image('…') sources and database(…, { image: '…' }) in the Railway file. */
export function railwayReferences(path: string, text: string): ImageReference[] {
  const found: ImageReference[] = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(/\bimage(?:\(\s*|:\s*)(['"`])([^'"`]+)\1/g)) {
      found.push({ where: `${path}:${index + 1}`, ref: match[2] ?? '' });
    }
  });
  return found;
}
