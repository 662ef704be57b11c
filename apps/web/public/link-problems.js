// What to tell someone whose link from an email did not work, and what they can do next.
// The API answers link_invalid, link_used or link_expired for all three kinds of link.

const kinds = {
  'verify-email': {
    purpose: 'confirm an address',
    lifetime: '24 hours',
    used: 'If you opened it before, your address is confirmed already.',
  },
  'reset-password': {
    purpose: 'choose a new password',
    lifetime: '30 minutes',
    used: 'If you have not chosen a new password with it, ask for a new link.',
  },
  'confirm-email': {
    purpose: 'change an address',
    lifetime: '24 hours',
    used: 'If you opened it before, your address has changed already.',
  },
};

export const isLinkProblem = (error) =>
  ['link_invalid', 'link_used', 'link_expired'].includes(error.code);

/** The outcome card's title and message for a link of `kind` that failed with `code`. */
export function describeLinkProblem(kind, code) {
  const { purpose, lifetime, used } = kinds[kind];
  if (code === 'link_used') {
    return { title: 'This link was already used', message: `Each link works once. ${used}` };
  }
  if (code === 'link_expired') {
    return {
      title: 'This link has expired',
      message: `Links to ${purpose} work for ${lifetime}, so this one no longer does. Ask for a new one.`,
    };
  }
  return {
    title: 'This link does not work',
    message:
      'It may be incomplete (copy the whole link from the email), or a newer email replaced it. ' +
      'Use the link in our newest email, or ask for a new one.',
  };
}
