import type { Money } from './operations';

/** `{ amount: "19.99", currency: "USD" }` as the person reads it; the amount stays a decimal string until here. */
export function formatMoney(money: Money): string {
  try {
    return new Intl.NumberFormat('en-US', { style: 'currency', currency: money.currency }).format(Number(money.amount));
  } catch {
    return `${money.amount} ${money.currency}`;
  }
}
