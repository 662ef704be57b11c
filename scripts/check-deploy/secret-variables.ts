// Variables that hold credentials. A deployment file may name them, never hold their value:
// Kubernetes takes them from the Secret, Render asks for them (sync: false) or generates them,
// Railway references a shared variable.
export const secretVariables = [
  'DATABASE_URL',
  'REDIS_URL',
  'SESSION_SECRET',
  'S3_SECRET_ACCESS_KEY',
  'SMTP_URL',
  'SMTP_PASSWORD',
];
