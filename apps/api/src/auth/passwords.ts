// argon2id with the OWASP-recommended minimum cost (19 MiB, 2 passes, 1 lane).
import { hash, verify } from '@node-rs/argon2';

const cost = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const hashPassword = (password: string) => hash(password, cost);

export const verifyPassword = (passwordHash: string, password: string) =>
  verify(passwordHash, password);

// Verifying against this when the email is unknown makes both failures take as long,
// so response times do not reveal which emails have accounts.
const dummyHash = hashPassword('not-a-real-password-only-for-timing');

export async function burnVerifyTime(password: string): Promise<void> {
  await verify(await dummyHash, password);
}
