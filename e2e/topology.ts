// Where each end-to-end project finds its app: playwright.config.ts starts them there, and the
// specs that talk to one API replica behind Caddy's back find it here. Each server catches the
// mail its app sends; specs read it at mailUrl (mailbox() from @shipshape/mail/testing).
export const local = { port: 3100, url: 'http://127.0.0.1:3100', mailUrl: 'http://127.0.0.1:3125' };

export const production = {
  port: 3143,
  url: 'https://localhost:3143',
  replicaPorts: [3111, 3112],
  replicaUrls: ['http://127.0.0.1:3111', 'http://127.0.0.1:3112'],
  mailUrl: 'http://127.0.0.1:3126',
};
