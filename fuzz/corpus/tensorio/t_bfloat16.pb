B
t_bfloat16JR°Jæbô™ìºãš