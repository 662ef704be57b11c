// Mail: the messages Shipshape sends (templates) and the SMTP client that sends them (mailer).
// The catcher (local development and tests) and the test client are separate entry points.
export { renderEmail, type EmailContent, type EmailTemplate } from './templates';
export { createMailer, isPermanentMailError, type Mailer } from './mailer';
