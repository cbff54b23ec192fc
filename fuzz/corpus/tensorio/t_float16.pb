
B	t_float16J~\~õ¶8û–}A´