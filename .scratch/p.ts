import { z } from 'zod';
const problem = z
  .object({
    type: z.string().meta({ description: 'https://rgs.example/problems/<code in kebab-case>' }),
    title: z.string(),
    status: z.int().min(400).max(599),
    detail: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional().meta({ description: 'x' }),
  })
  .meta({ id: 'Problem' });
console.log(JSON.stringify(z.toJSONSchema(problem, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' })));
