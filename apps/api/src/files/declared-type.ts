// What an upload says it is, checked before a byte is sent. The bytes are checked later, by the
// thumbnail job (packages/jobs/src/thumbnail-type.ts): this only refuses early what could never
// be accepted, so nobody sends 100 MB to hear that .exe files are not taken.
import {
  isAcceptedType,
  typeNamedBy,
  typeNoun,
  type AcceptedType,
} from '@shipshape/jobs/thumbnail-type';
import { HttpError } from '../http/errors';

// What browsers declare for a file whose type they do not know (File.type is then empty).
const unknownTypes = new Set(['', 'application/octet-stream']);

const refused = (message: string) => new HttpError(415, 'unsupported_type', message);

const ACCEPTED =
  'Upload a PNG, JPEG, WebP or GIF image, a PDF or plain text (.png, .jpg, .webp, .gif, .pdf, .txt).';

/**
 * The type an upload named `filename` is recorded with. A declared type of none (unknown to the
 * browser) is taken from the name's extension. Throws a 415 for a type not accepted, or a name
 * whose extension is that of another accepted type ("photo.png" declared as a PDF).
 */
export function declaredType(filename: string, declared: string): AcceptedType {
  const mime = declared.split(';')[0]?.trim().toLowerCase() ?? '';
  const named = typeNamedBy(filename);
  const type = unknownTypes.has(mime) ? named : mime;
  if (!isAcceptedType(type)) {
    throw refused(`${filename} is not a type of file accepted here. ${ACCEPTED}`);
  }
  if (named !== undefined && named !== type) {
    throw refused(`${filename} is named as ${typeNoun(named)} but was sent as ${typeNoun(type)}.`);
  }
  return type;
}
