/** Digits after the decimal point per ISO 4217 currency; 2 unless listed. */
const MINOR_DIGITS: Readonly<Record<string, number>> = { JPY: 0, KRW: 0, CLP: 0, VND: 0, BHD: 3, KWD: 3, JOD: 3, OMR: 3, TND: 3 };

/** The schema's `Money`: an exact decimal string and its currency. */
export interface Money {
  amount: string;
  currency: string;
}

/** Formats integer minor units as the schema's `Money` (e.g. 1999 USD → "19.99"), exactly, with no float arithmetic. */
/** How many digits a currency has after the decimal point. */
export function minorDigitsOf(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

export function money(minorUnits: number, currency: string): Money {
  const digits = minorDigitsOf(currency);
  const negative = minorUnits < 0;
  const text = String(Math.abs(minorUnits)).padStart(digits + 1, '0');
  const amount = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return { amount: negative ? `-${amount}` : amount, currency };
}
