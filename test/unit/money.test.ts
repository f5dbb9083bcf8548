import { money } from '../../shared';

describe('money', () => {
  it.each([
    [1999, 'USD', '19.99'],
    [5, 'USD', '0.05'],
    [0, 'EUR', '0.00'],
    [-250, 'USD', '-2.50'],
    [1500, 'JPY', '1500'],
    [12345, 'KWD', '12.345'],
    [2_147_483_647, 'USD', '21474836.47'],
  ])('formats %p minor units of %s as %s exactly', (minor, currency, amount) => {
    expect(money(minor, currency)).toEqual({ amount, currency });
  });
});
