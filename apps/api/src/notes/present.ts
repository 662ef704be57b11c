// What a client sees of a note: everything but its owner, who is the one asking.
import type { Note } from '@shipshape/db';

export function publicNote(note: Note) {
  return {
    id: note.id,
    title: note.title,
    body: note.body,
    createdAt: note.createdAt,
    updatedAt: note.updatedAt,
  };
}
